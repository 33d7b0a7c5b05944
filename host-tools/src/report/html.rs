//! The HTML report: one self-contained page (inline CSS and SVG, no script,
//! nothing fetched from a network) that a facilitator can read at a glance.
//!
//! Per session: a headline in plain words, then four charts — share of
//! voice against the fair share, who spoke when (overlaps and markers
//! visible), who spoke after whom (a heat map) and balance over time —
//! and the full table folded away. Across sessions: balance per session.

mod decisions;
mod exchange;

use std::fmt::Write as _;
use std::io::{self, Write};

use super::format::{balance_words, clock, duration, duration_f, figure, percent, versus_fair};
use super::text::seat_name;
use super::Report;
use crate::metrics::groups::GroupShare;
use crate::metrics::windows::{self, RangeFigures};
use crate::metrics::{timeline, SessionFigures};
use crate::session::Session;
use tabletalk_core::turns::MarkerKind;

/// One colour per seat (colour-blind-aware palette, cycled past 16).
pub const SEAT_COLOURS: [&str; 16] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#17becf", "#bcbd22", "#1f77b4", "#8c564b", "#7f7f7f", "#d62728", "#2ca02c",
];

fn colour(seat: usize) -> &'static str {
    SEAT_COLOURS
        .get(seat % SEAT_COLOURS.len())
        .copied()
        .unwrap_or("#888")
}

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Shortens a name for chart labels.
fn short(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_owned()
    } else {
        let mut s: String = name.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

const STYLE: &str = r#"
:root { --ink:#1d2530; --muted:#5b6675; --line:#d8dde4; --bg:#f6f7f9; --card:#fff; --accent:#c0392b; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--ink); background:var(--bg); }
header.page { background:#22303f; color:#fff; padding:18px 28px; }
header.page h1 { margin:0; font-size:22px; }
header.page p { margin:4px 0 0; color:#c9d3de; }
main { max-width: 1000px; margin: 0 auto; padding: 12px 20px 40px; }
section.session, section.trend { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 22px; margin:18px 0; }
h2 { font-size:19px; margin:0 0 6px; }
h3 { font-size:16px; margin:22px 0 4px; }
p.help { color:var(--muted); margin:2px 0 8px; font-size:13.5px; }
ul.headline { font-size:16px; margin:8px 0 10px; padding-left:20px; }
ul.headline li { margin:3px 0; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin:10px 0 4px; }
.card { border:1px solid var(--line); border-radius:8px; padding:8px 12px; min-width:120px; }
.card b { display:block; font-size:20px; }
.card span { color:var(--muted); font-size:12.5px; }
svg { display:block; max-width:100%; height:auto; }
svg text { font-family: inherit; fill: var(--ink); }
table { border-collapse: collapse; margin: 8px 0; font-size: 13.5px; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:right; }
th:first-child, td:first-child, td.l, th.l { text-align:left; }
details { margin-top: 16px; }
summary { cursor: pointer; color: var(--muted); }
.note { color:var(--accent); font-size:13.5px; }
.warn { background:#fdecea; border:1px solid #f5c6cb; padding:8px 12px; border-radius:8px; }
"#;

/// Writes the HTML page.
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn write(report: &Report, sessions: &[Session], out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>Participation report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header class=\"page\"><h1>Who spoke at the table</h1><p>{} session{} · made by {} · no audio, only who spoke when</p></header>\n<main>\n",
        escape(&report.generator),
        report.sessions.len(),
        if report.sessions.len() == 1 { "" } else { "s" },
        escape(&report.generator),
    );
    let lost: usize = report.inputs.iter().map(|i| i.frames_lost).sum();
    if lost > 0 {
        let _ = writeln!(
            page,
            "<p class=\"warn\">{lost} damaged frame{} could not be read; everything else is shown.</p>",
            if lost == 1 { "" } else { "s" }
        );
    }
    if report.sessions.len() >= 2 {
        trend_section(&mut page, report);
        exchange::trend_section(&mut page, report);
    }
    for (i, figures) in report.sessions.iter().enumerate() {
        session_section(&mut page, figures, sessions.get(i));
    }
    page.push_str("</main>\n</body>\n</html>\n");
    out.write_all(page.as_bytes())
}

fn session_section(page: &mut String, s: &SessionFigures, session: Option<&Session>) {
    let g = &s.group;
    let names: Vec<String> = s.seats.iter().map(seat_name).collect();
    let _ = write!(
        page,
        "<section class=\"session\">\n<h2>{} — session {}</h2>\n",
        escape(&s.source),
        s.session
    );
    headline(page, s, &names);
    let _ = writeln!(
        page,
        "<div class=\"cards\">\
         <div class=\"card\"><b>{}</b><span>balance (Gini {})</span></div>\
         <div class=\"card\"><b>{}</b><span>recorded</span></div>\
         <div class=\"card\"><b>{}</b><span>someone speaking</span></div>\
         <div class=\"card\"><b>{}</b><span>of speech in overlap</span></div>\
         <div class=\"card\"><b>{}</b><span>changes of speaker</span></div></div>",
        balance_words(g.gini),
        figure(g.gini),
        duration(g.duration_ms),
        duration(g.speech_ms),
        g.overlap_ratio.map_or("–".into(), percent),
        g.floor_transitions,
    );

    page.push_str("<h3>Share of voice</h3>\n<p class=\"help\">How much of the speaking each person did. The dashed line is a fair share: what each would have if everyone spoke equally.</p>\n");
    share_chart(page, s, &names);

    if let Some(session) = session {
        page.push_str("<h3>Who spoke when</h3>\n<p class=\"help\">One row per person; time runs left to right. The red row marks moments when two or more spoke at once; vertical lines are agenda points, grey bands are pauses.</p>\n");
        timeline_chart(page, s, session, &names);
    }

    page.push_str("<h3>Who spoke after whom</h3>\n<p class=\"help\">Read across a row: when that person had the floor, who took it next, and how often. Darker = more often.</p>\n");
    transition_chart(page, s, &names);

    let auto;
    let windows: &[RangeFigures] = if !s.windows.is_empty() {
        &s.windows
    } else if let Some(session) = session {
        auto = auto_windows(session);
        &auto
    } else {
        &[]
    };
    if !windows.is_empty() {
        page.push_str("<h3>Balance over time</h3>\n<p class=\"help\">Each column is a stretch of the meeting, split by who spoke in it. The black line is the balance: 1 when everyone spoke equally, 0 when one person did all the talking.</p>\n");
        balance_chart(page, s, windows, &names);
    }
    if !s.segments.is_empty() {
        page.push_str("<h3>Balance per agenda point</h3>\n<p class=\"help\">The same, one column per agenda point.</p>\n");
        balance_chart(page, s, &s.segments, &names);
    }
    if let Some(groups) = &s.roster_groups {
        for (dimension, shares) in [
            ("organisation", &groups.organisation),
            ("sector", &groups.sector),
            ("role", &groups.role),
        ] {
            if shares.len() > 1
                || shares
                    .first()
                    .is_some_and(|g| g.group != crate::metrics::groups::UNASSIGNED)
            {
                let _ = write!(page, "<h3>By {dimension}</h3>\n<p class=\"help\">Grey: its share of the seats (its fair share). Colour: its share of the speaking.</p>\n");
                group_chart(page, shares);
            }
        }
    }
    exchange::section(page, s);
    decisions::section(page, s);
    full_table(page, s, &names);
    for note in &s.notes {
        let _ = writeln!(page, "<p class=\"note\">Note: {}</p>", escape(note));
    }
    page.push_str("</section>\n");
}

fn headline(page: &mut String, s: &SessionFigures, names: &[String]) {
    let g = &s.group;
    let n = s.seats.len();
    page.push_str("<ul class=\"headline\">");
    if g.speech_ms == 0 {
        page.push_str("<li>Nobody spoke in this session.</li>");
    } else {
        let top = s.seats.iter().max_by(|a, b| a.share.total_cmp(&b.share));
        let low = s.seats.iter().min_by(|a, b| a.share.total_cmp(&b.share));
        if let Some(top) = top {
            let _ = write!(
                page,
                "<li>Speaking was <b>{}</b>. <b>{}</b> spoke most: {} of the speaking ({}).</li>",
                balance_words(g.gini),
                escape(names.get(top.seat).map_or("?", String::as_str)),
                percent(top.share),
                versus_fair(top.share, n)
            );
        }
        let silent = s.seats.iter().filter(|x| x.speaking_ms == 0).count();
        if silent > 0 {
            let _ = write!(
                page,
                "<li><b>{silent} of {n}</b> seat{} never spoke.</li>",
                if silent == 1 { "" } else { "s" }
            );
        } else if let Some(low) = low {
            let _ = write!(
                page,
                "<li><b>{}</b> spoke least: {} of the speaking.</li>",
                escape(names.get(low.seat).map_or("?", String::as_str)),
                percent(low.share)
            );
        }
        let interruptions: u32 = s.seats.iter().map(|x| x.interruptions_made).sum();
        let _ = write!(
            page,
            "<li>The floor changed hands <b>{}</b> times; people cut in on the speaker <b>{}</b> times.</li>",
            g.floor_transitions, interruptions
        );
        if let Some(m) = &g.longest_monologue {
            let _ = write!(
                page,
                "<li>The longest stretch anyone held the floor: <b>{}</b> by {}.</li>",
                duration(m.duration_ms),
                escape(names.get(m.seat).map_or("?", String::as_str))
            );
        }
    }
    page.push_str("</ul>\n");
}

fn share_chart(page: &mut String, s: &SessionFigures, names: &[String]) {
    let n = s.seats.len().max(1);
    let fair = 1.0 / n as f64;
    let max = s
        .seats
        .iter()
        .map(|x| x.share)
        .fold(fair, f64::max)
        .min(1.0)
        * 1.15;
    let (left, width, row) = (150.0, 460.0, 26.0);
    let height = row * n as f64 + 30.0;
    let x = |share: f64| left + width * share / max;
    let _ = writeln!(
        page,
        "<svg class=\"share\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"Share of voice per seat\">",
        w = left + width + 150.0
    );
    for (i, seat) in s.seats.iter().enumerate() {
        let y = 6.0 + row * i as f64;
        let name = names.get(i).map_or("?", String::as_str);
        let _ = writeln!(
            page,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\" rx=\"2\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"12.5\">{} · {}</text>",
            left - 8.0,
            y + 14.0,
            escape(&short(name, 20)),
            (x(seat.share) - left).max(0.0),
            row - 8.0,
            colour(i),
            escape(name),
            percent(seat.share),
            x(seat.share).max(x(fair) + 4.0) + 6.0,
            y + 14.0,
            percent(seat.share),
            versus_fair(seat.share, n),
        );
    }
    let fx = x(fair);
    let _ = write!(
        page,
        "<line x1=\"{fx:.1}\" y1=\"2\" x2=\"{fx:.1}\" y2=\"{}\" stroke=\"#222\" stroke-dasharray=\"5 4\" stroke-width=\"1.5\"/>\
         <text x=\"{fx:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">fair share {}</text>\n</svg>\n",
        height - 22.0,
        height - 8.0,
        percent(fair)
    );
}

fn timeline_chart(page: &mut String, s: &SessionFigures, session: &Session, names: &[String]) {
    let n = s.seats.len();
    let (left, width, lane) = (150.0, 780.0, 20.0);
    let span = (s.end_ms - s.start_ms).max(1) as f64;
    let x = |t: u64| left + width * (t.saturating_sub(s.start_ms)) as f64 / span;
    let top = 8.0;
    let overlap_y = top + lane * n as f64 + 4.0;
    let axis_y = overlap_y + lane + 6.0;
    let height = axis_y + 34.0;
    let _ = writeln!(
        page,
        "<svg class=\"timeline\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"Who spoke when\">",
        w = left + width + 20.0
    );
    for (a, b) in session.paused() {
        let _ = write!(
            page,
            "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#e3e6ea\"/>",
            x(a),
            (x(b) - x(a)).max(1.0),
            axis_y - top
        );
    }
    let by_seat = session.stretches_by_seat();
    for (i, stretches) in by_seat.iter().enumerate() {
        let y = top + lane * i as f64;
        let name = names.get(i).map_or("?", String::as_str);
        let _ = write!(
            page,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12.5\">{}</text>\
             <line x1=\"{left}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\" stroke=\"#eef0f3\"/>\n<g fill=\"{}\">",
            left - 8.0,
            y + 14.0,
            escape(&short(name, 20)),
            y + lane / 2.0,
            left + width,
            y + lane / 2.0,
            colour(i)
        );
        pixel_rects(
            page,
            stretches.iter().map(|&(a, b)| (x(a), x(b))),
            y + 3.0,
            lane - 6.0,
        );
        page.push_str("</g>\n");
    }
    let overlaps: Vec<(u64, u64)> = timeline::partition(&by_seat)
        .iter()
        .filter(|p| p.speakers() >= 2)
        .map(|p| (p.start, p.end))
        .collect();
    let _ = write!(
        page,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12.5\" fill=\"#c0392b\">at once</text><g fill=\"#c0392b\">",
        left - 8.0,
        overlap_y + 14.0
    );
    pixel_rects(
        page,
        overlaps.iter().map(|&(a, b)| (x(a), x(b))),
        overlap_y + 3.0,
        lane - 6.0,
    );
    page.push_str("</g>\n");
    let mut agenda = 0;
    for marker in &s.markers {
        if marker.kind == MarkerKind::Agenda {
            agenda += 1;
            let mx = x(marker.at_ms);
            let _ = write!(
                page,
                "<line x1=\"{mx:.1}\" y1=\"{top}\" x2=\"{mx:.1}\" y2=\"{axis_y}\" stroke=\"#222\" stroke-width=\"1.2\"/>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"11\">▸{agenda}</text>",
                mx + 2.0,
                top + 9.0
            );
        }
    }
    // Axis with ticks at a round number of minutes.
    let step = nice_step(s.end_ms - s.start_ms, 8);
    let _ = write!(
        page,
        "<line x1=\"{left}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#888\"/>",
        left + width
    );
    let mut t = 0;
    while t <= s.end_ms - s.start_ms {
        let tx = x(s.start_ms + t);
        let _ = write!(
            page,
            "<line x1=\"{tx:.1}\" y1=\"{axis_y}\" x2=\"{tx:.1}\" y2=\"{}\" stroke=\"#888\"/><text x=\"{tx:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            axis_y + 4.0,
            axis_y + 16.0,
            clock(t)
        );
        // Checked: a hostile log's extent reaches the end of u64, where a
        // wrapping step would never leave this loop.
        match t.checked_add(step) {
            Some(next) => t = next,
            None => break,
        }
    }
    let _ = write!(
        page,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6675\">minutes into the session</text>\n</svg>\n",
        left + width / 2.0,
        axis_y + 30.0
    );
}

/// Draws rectangles in pixel space, merging those less than half a pixel
/// apart: a long meeting stays a small file however many turns it has.
fn pixel_rects(page: &mut String, spans: impl Iterator<Item = (f64, f64)>, y: f64, h: f64) {
    let mut current: Option<(f64, f64)> = None;
    let flush = |page: &mut String, (a, b): (f64, f64)| {
        let _ = write!(
            page,
            "<rect x=\"{a:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\"/>",
            (b - a).max(0.6)
        );
    };
    for (a, b) in spans {
        current = match current {
            Some((ca, cb)) if a - cb < 0.5 => Some((ca, cb.max(b))),
            Some(done) => {
                flush(page, done);
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some(done) = current {
        flush(page, done);
    }
}

/// A round tick step (ms) giving at most about `ticks` ticks over `span`.
fn nice_step(span: u64, ticks: u64) -> u64 {
    const STEPS: [u64; 12] = [
        1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
        3_600_000, 7_200_000,
    ];
    STEPS
        .iter()
        .copied()
        .find(|&step| span / step <= ticks)
        .unwrap_or_else(|| span.div_ceil(ticks.max(1)).max(1))
}

fn transition_chart(page: &mut String, s: &SessionFigures, names: &[String]) {
    let n = s.seats.len();
    let cell = if n > 10 { 30.0 } else { 42.0 };
    let (left, top) = (150.0, 110.0);
    let size = cell * n as f64;
    let max = s
        .group
        .transitions
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let _ = writeln!(
        page,
        "<svg class=\"transitions\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Who spoke after whom\">",
        w = left + size + 40.0,
        h = top + size + 30.0
    );
    for (j, name) in names.iter().enumerate() {
        let cx = left + cell * j as f64 + cell / 2.0;
        let _ = write!(
            page,
            "<text transform=\"translate({cx:.1},{}) rotate(-45)\" font-size=\"12\">{}</text>",
            top - 6.0,
            escape(&short(name, 14))
        );
    }
    let _ = write!(
        page,
        "<text x=\"{}\" y=\"14\" font-size=\"12\" fill=\"#5b6675\">next speaker →</text>",
        left
    );
    for (i, row) in s.group.transitions.iter().enumerate() {
        let y = top + cell * i as f64;
        let _ = write!(
            page,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
            left - 8.0,
            y + cell / 2.0 + 4.0,
            escape(&short(names.get(i).map_or("?", String::as_str), 20))
        );
        for (j, &count) in row.iter().enumerate() {
            let x = left + cell * j as f64;
            let strength = f64::from(count) / f64::from(max);
            let fill = if i == j {
                "#f0f1f3".to_owned()
            } else {
                format!("rgba(34,90,160,{:.3})", 0.06 + 0.94 * strength)
            };
            let text_fill = if strength > 0.55 { "#fff" } else { "#1d2530" };
            let _ = write!(
                page,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#fff\"><title>{} → {}: {count}</title></rect>",
                escape(names.get(i).map_or("?", String::as_str)),
                escape(names.get(j).map_or("?", String::as_str)),
            );
            if i != j {
                let _ = write!(
                    page,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" style=\"fill:{text_fill}\">{count}</text>",
                    x + cell / 2.0,
                    y + cell / 2.0 + 4.0
                );
            }
        }
    }
    page.push_str("</svg>\n");
}

/// Windows for the balance chart when `--window` was not given: a round
/// length giving at most about 12 columns.
fn auto_windows(session: &Session) -> Vec<RangeFigures> {
    let span = session.end_ms - session.start_ms;
    if span == 0 {
        return Vec::new();
    }
    let window = nice_step(span, 12);
    let by_seat = session.stretches_by_seat();
    let pieces = timeline::partition(&by_seat);
    windows::ranges(
        session,
        &by_seat,
        &pieces,
        &windows::window_bounds(session, window),
    )
}

fn balance_chart(page: &mut String, s: &SessionFigures, ranges: &[RangeFigures], names: &[String]) {
    let (left, top, height) = (50.0, 10.0, 180.0);
    let count = ranges.len().max(1);
    let column = (780.0 / count as f64).clamp(4.0, 70.0);
    let width = column * count as f64;
    let _ = writeln!(
        page,
        "<svg class=\"balance\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Balance over time\">",
        w = left + width + 170.0,
        h = top + height + 40.0
    );
    for (tick, label) in [(0.0, "0"), (0.5, "½"), (1.0, "1")] {
        let y = top + height * (1.0 - tick);
        let _ = write!(
            page,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#d8dde4\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{label}</text>",
            left + width,
            left - 6.0,
            y + 4.0
        );
    }
    let mut line = Vec::new();
    for (k, range) in ranges.iter().enumerate() {
        let x = left + column * k as f64;
        let mut y = top + height;
        for seat in &range.seats {
            let h = height * seat.share;
            if h > 0.0 {
                y -= h;
                let _ = write!(
                    page,
                    "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} {}–{}: {}</title></rect>",
                    x + 1.0,
                    (column - 2.0).max(1.0),
                    colour(seat.seat),
                    escape(names.get(seat.seat).map_or("?", String::as_str)),
                    clock(range.start_ms.saturating_sub(s.start_ms)),
                    clock(range.end_ms.saturating_sub(s.start_ms)),
                    percent(seat.share)
                );
            }
        }
        if let Some(e) = range.evenness {
            line.push(format!(
                "{:.1},{:.1}",
                x + column / 2.0,
                top + height * (1.0 - e)
            ));
        }
        if count <= 16 || k % count.div_ceil(8) == 0 {
            let _ = write!(
                page,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
                x + column / 2.0,
                top + height + 14.0,
                clock(range.start_ms.saturating_sub(s.start_ms))
            );
        }
    }
    if line.len() >= 2 {
        let _ = write!(
            page,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#111\" stroke-width=\"2.2\"/>",
            line.join(" ")
        );
    }
    for point in &line {
        if let Some((px, py)) = point.split_once(',') {
            let _ = write!(
                page,
                "<circle cx=\"{px}\" cy=\"{py}\" r=\"2.8\" fill=\"#111\"/>"
            );
        }
    }
    // Legend.
    let lx = left + width + 16.0;
    let _ = write!(
        page,
        "<line x1=\"{lx}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#111\" stroke-width=\"2.2\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">balance</text>",
        top + 6.0,
        lx + 18.0,
        top + 6.0,
        lx + 24.0,
        top + 10.0
    );
    for (i, name) in names.iter().enumerate().take(12) {
        let y = top + 22.0 + 14.0 * i as f64;
        let _ = write!(
            page,
            "<rect x=\"{lx}\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            colour(i),
            lx + 16.0,
            y + 9.0,
            escape(&short(name, 18))
        );
    }
    let _ = write!(
        page,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6675\">start of each stretch (minutes)</text>\n</svg>\n",
        left + width / 2.0,
        top + height + 32.0
    );
}

fn group_chart(page: &mut String, shares: &[GroupShare]) {
    let (left, width, row) = (170.0, 420.0, 34.0);
    let height = row * shares.len() as f64 + 8.0;
    let _ = writeln!(
        page,
        "<svg class=\"groups\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"Share by group\">",
        w = left + width + 170.0
    );
    for (i, g) in shares.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let _ = writeln!(
            page,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{:.1}\" height=\"11\" fill=\"#c4cad3\"><title>share of seats {}</title></rect>\
             <rect x=\"{left}\" y=\"{}\" width=\"{:.1}\" height=\"13\" fill=\"{}\"><title>share of speaking {}</title></rect>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{} of speaking · {} of seats · {} of turns</text>",
            left - 8.0,
            y + 16.0,
            escape(&short(&g.group, 22)),
            width * g.seat_share,
            percent(g.seat_share),
            y + 12.0,
            width * g.speaking_share,
            colour(i),
            percent(g.speaking_share),
            left + width * g.seat_share.max(g.speaking_share) + 6.0,
            y + 16.0,
            percent(g.speaking_share),
            percent(g.seat_share),
            percent(g.turn_share),
        );
    }
    page.push_str("</svg>\n");
}

fn full_table(page: &mut String, s: &SessionFigures, names: &[String]) {
    let g = &s.group;
    page.push_str("<details><summary>All figures</summary>\n<table><tr><th class=\"l\">who</th><th>speaking</th><th>share</th><th>turns</th><th>floor turns</th><th>median turn</th><th>longest turn</th><th>overlap</th><th>interruptions made (successful)</th><th>suffered (lost the floor)</th><th>backchannels</th></tr>\n");
    for (i, x) in s.seats.iter().enumerate() {
        let _ = writeln!(
            page,
            "<tr><td class=\"l\"><span style=\"color:{}\">■</span> {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{} ({})</td><td>{}</td></tr>",
            colour(i),
            escape(names.get(i).map_or("?", String::as_str)),
            duration(x.speaking_ms),
            percent(x.share),
            x.turns,
            x.floor_turns,
            duration_f(x.median_turn_ms),
            duration(x.longest_turn_ms),
            duration(x.overlap_ms),
            x.interruptions_made,
            x.interruptions_made_successful,
            x.interruptions_suffered,
            x.interruptions_suffered_successful,
            x.backchannels
        );
    }
    let ft = &g.floor_transfer;
    let _ = write!(
        page,
        "</table>\n<table>\
         <tr><td class=\"l\">Gini of speaking time (population form / n÷(n−1) form)</td><td>{} / {}</td></tr>\
         <tr><td class=\"l\">Evenness (1 = all equal)</td><td>{}</td></tr>\
         <tr><td class=\"l\">Turn counts: variance / coefficient of variation</td><td>{} / {}</td></tr>\
         <tr><td class=\"l\">Speech / silence / overlap</td><td>{} / {} / {}</td></tr>\
         <tr><td class=\"l\">Floor changes: after a gap / in overlap / median offset</td><td>{} / {} / {}</td></tr>\
         <tr><td class=\"l\">Pauses within one speaker (median)</td><td>{} ({})</td></tr>\
         <tr><td class=\"l\">Backchannels / burstiness</td><td>{} / {}</td></tr>\
         </table>\n</details>\n",
        figure(g.gini),
        figure(g.gini_corrected),
        figure(g.evenness),
        figure(g.turn_count_variance),
        figure(g.turn_count_cv),
        duration(g.speech_ms),
        duration(g.silence_ms),
        duration(g.overlap_ms),
        ft.gaps,
        ft.overlaps,
        super::format::offset(ft.offset_median_ms),
        ft.pauses,
        duration_f(ft.pause_median_ms),
        g.backchannels,
        figure(g.burstiness),
    );
}

fn trend_section(page: &mut String, report: &Report) {
    let sessions = &report.sessions;
    let count = sessions.len();
    let (left, top, height) = (50.0, 12.0, 160.0);
    let step = (760.0 / count.saturating_sub(1).max(1) as f64).clamp(6.0, 380.0);
    let width = step * (count.saturating_sub(1)).max(1) as f64;
    let _ = write!(
        page,
        "<section class=\"trend\">\n<h2>Across {count} sessions</h2>\n<p class=\"help\">Balance in each session, in the order given. Higher is more balanced (1 = everyone spoke equally).</p>\n\
         <svg class=\"trend\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Balance per session\">\n",
        w = left + width + 60.0,
        h = top + height + 34.0
    );
    for (tick, label) in [(0.0, "0"), (0.5, "½"), (1.0, "1")] {
        let y = top + height * (1.0 - tick);
        let _ = write!(
            page,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#d8dde4\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{label}</text>",
            left + width,
            left - 6.0,
            y + 4.0
        );
    }
    let points: Vec<(f64, f64, &SessionFigures)> = sessions
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            s.group
                .evenness
                .map(|e| (left + step * i as f64, top + height * (1.0 - e), s))
        })
        .collect();
    if points.len() >= 2 {
        let line: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            page,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#225aa0\" stroke-width=\"2\"/>",
            line.join(" ")
        );
    }
    for (x, y, s) in &points {
        let _ = write!(
            page,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"#225aa0\"><title>{} #{}: evenness {}, Gini {}</title></circle>",
            escape(&s.source),
            s.session,
            figure(s.group.evenness),
            figure(s.group.gini)
        );
    }
    let label_every = count.div_ceil(12).max(1);
    for (i, s) in sessions
        .iter()
        .enumerate()
        .filter(|(i, _)| i % label_every == 0)
    {
        let _ = write!(
            page,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10.5\">{}</text>",
            left + step * i as f64,
            top + height + 16.0,
            escape(&short(s.source.rsplit('/').next().unwrap_or(&s.source), 12))
        );
    }
    page.push_str("</svg>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_shortening() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(short("abcdef", 4), "abc…");
        assert_eq!(short("abc", 4), "abc");
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(nice_step(60_000, 8), 10_000);
        assert_eq!(nice_step(3_600_000, 8), 600_000);
        assert_eq!(nice_step(0, 8), 1_000);
    }

    #[test]
    fn nearby_rects_merge() {
        let mut page = String::new();
        pixel_rects(
            &mut page,
            [(0.0, 1.0), (1.2, 2.0), (5.0, 6.0)].into_iter(),
            0.0,
            1.0,
        );
        assert_eq!(page.matches("<rect").count(), 2);
    }
}
