//! The HTML report: one self-contained page (inline CSS and SVG, no script,
//! nothing fetched from a network) that a facilitator can read at a glance,
//! on a phone as on a desktop, and print to A4.
//!
//! With several sessions the page opens with the series: a summary table of
//! every meeting (with links), each person's share against a fair share
//! meeting by meeting, the quiet voices and newcomers, shares per
//! organisation; then each meeting's details (at most [`DETAILED`]).
//!
//! Per meeting: a headline in plain words, cards, then one topic after
//! another (see [`TOPICS`]): share of voice, who spoke when, who spoke
//! after whom, balance over time, roster groups, all figures. A new topic
//! is one function added to that list.
//!
//! Charts are drawn with [`super::svg`]; each person keeps one colour in
//! every chart of the page ([`Colours`]), groups have a palette of their own.

mod decisions;
mod exchange;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::format::{
    balance_words, clock, duration, duration_f, figure, meeting_name, percent, versus_fair,
};
use super::svg::{text_width, Anchor, Plot, Svg, Text};
use super::Report;
use crate::metrics::groups::{GroupShare, UNASSIGNED};
use crate::metrics::people::{identities, identity};
use crate::metrics::windows::{self, RangeFigures};
use crate::metrics::{timeline, SessionFigures};
use crate::roster::Dimension;
use crate::session::Session;
use tabletalk_core::turns::MarkerKind;

pub use super::svg::escape;

/// Meetings shown in full on one page; the series tables cover the rest.
pub const DETAILED: usize = 20;
/// Rows of the series summary table.
pub const SUMMARY_ROWS: usize = 500;
/// Meetings (columns) of the person × meeting table and chart.
pub const SERIES_COLUMNS: usize = 40;
/// People (rows) of the person × meeting table and chart.
pub const SERIES_PEOPLE: usize = 60;

/// The first colours: a colour-blind-aware palette (Tableau 10, then more).
pub const SEAT_COLOURS: [&str; 16] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#17becf", "#bcbd22", "#1f77b4", "#8c564b", "#7f7f7f", "#d62728", "#2ca02c",
];

/// Groups (organisations, sectors, roles) have their own colours, darker
/// and fewer, so a group is never mistaken for a person.
pub const GROUP_COLOURS: [&str; 8] = [
    "#1b5e7a", "#8c3b12", "#3f6b26", "#6a3d9a", "#7a5c00", "#5a5a5a", "#a3245c", "#245c5c",
];

/// The n-th colour of a palette, distinct for every n: past the palette,
/// hues step by the golden angle with alternating lightness.
fn nth_colour(palette: &[&str], n: usize) -> String {
    match palette.get(n) {
        Some(c) => (*c).to_owned(),
        None => {
            let k = n - palette.len();
            let hue = (k as f64 * 137.508 + 20.0) % 360.0;
            format!(
                "hsl({hue:.1},{}%,{}%)",
                55 + (k % 2) * 15,
                38 + (k % 3) * 10
            )
        }
    }
}

/// One colour per person for the whole page, in order of first
/// appearance: a person keeps it in every meeting and chart, and no two
/// people share one.
#[derive(Clone, Debug, Default)]
pub struct Colours {
    by_person: HashMap<String, String>,
    by_group: HashMap<String, String>,
}

impl Colours {
    /// The colours of everyone in `sessions`.
    pub fn of(sessions: &[SessionFigures]) -> Colours {
        let mut by_group: HashMap<String, String> = HashMap::new();
        let groups = sessions
            .iter()
            .flat_map(|s| &s.roster_groups)
            .flat_map(|r| r.organisation.iter().chain(&r.sector).chain(&r.role));
        for g in groups {
            let next = by_group.len();
            by_group
                .entry(g.group.clone())
                .or_insert_with(|| nth_colour(&GROUP_COLOURS, next));
        }
        Colours {
            by_person: identities(sessions)
                .into_iter()
                .enumerate()
                .map(|(i, who)| (who, nth_colour(&SEAT_COLOURS, i)))
                .collect(),
            by_group,
        }
    }

    /// The colour of a roster group (the same in every meeting).
    pub fn of_group(&self, group: &str) -> &str {
        self.by_group.get(group).map_or("#666", String::as_str)
    }

    /// The colour of `person`.
    pub fn of_person(&self, person: &str) -> &str {
        self.by_person.get(person).map_or("#888", String::as_str)
    }
}

const STYLE: &str = r#"
:root { --ink:#1d2530; --muted:#5b6675; --line:#d8dde4; --bg:#f6f7f9; --card:#fff; --accent:#c0392b; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--ink); background:var(--bg); }
h1, h2, h3, p, li { overflow-wrap:anywhere; }
header.page { background:#22303f; color:#fff; padding:18px 28px; }
header.page h1 { margin:0; font-size:22px; }
header.page p { margin:4px 0 0; color:#c9d3de; }
main { max-width: 1000px; margin: 0 auto; padding: 12px 20px 40px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 22px; margin:18px 0; }
h2 { font-size:19px; margin:0 0 6px; }
h2 small { font-weight:normal; color:var(--muted); font-size:13px; }
h3 { font-size:16px; margin:22px 0 4px; }
p.help { color:var(--muted); margin:2px 0 8px; font-size:13.5px; }
ul.headline { font-size:16px; margin:8px 0 10px; padding-left:20px; }
ul.headline li { margin:3px 0; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin:10px 0 4px; }
.card { border:1px solid var(--line); border-radius:8px; padding:8px 12px; min-width:120px; }
.card b { display:block; font-size:20px; }
.card span { color:var(--muted); font-size:12.5px; }
.chart, .table { max-width:100%; overflow-x:auto; }
svg { display:block; max-width:100%; height:auto; }
svg text { font-family: inherit; fill: var(--ink); }
table { border-collapse: collapse; margin: 8px 0; font-size: 13.5px; display:block; max-width:100%; overflow-x:auto; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:right; white-space:nowrap; }
td.l { white-space:normal; min-width:8em; }
th:first-child, td:first-child, td.l, th.l { text-align:left; }
td.low { background:#fdecea; } td.high { background:#e8f0fb; }
details { margin-top: 16px; }
summary { cursor: pointer; color: var(--muted); }
nav.meetings { font-size:13.5px; }
.note { color:var(--accent); font-size:13.5px; }
.warn { background:#fdecea; border:1px solid #f5c6cb; padding:8px 12px; border-radius:8px; }
@media (max-width: 600px) {
  body { font-size:14px; }
  header.page { padding:12px 14px; }
  header.page h1 { font-size:19px; }
  main { padding:6px 8px 24px; }
  section { padding:12px 10px; margin:10px 0; border-radius:6px; }
  .card { min-width:0; flex:1 1 40%; padding:6px 8px; }
  .card b { font-size:17px; }
  table { font-size:12.5px; }
  th, td { padding:3px 5px; }
}
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background:#fff; font-size:11pt; }
  header.page { background:none; color:#000; padding:0 0 6px; border-bottom:2px solid #000; }
  header.page p { color:#333; }
  main { max-width:none; padding:0; }
  section { border:none; padding:0; margin:0 0 8mm; }
  section.session { break-before: page; }
  .chart, .table { overflow:visible; }
  svg { min-width:0 !important; max-width:100%; }
  .chart, table, ul.headline, .cards { break-inside: avoid; }
  nav.meetings, summary { display:none; }
  a { color:inherit; text-decoration:none; }
}
"#;

/// Writes the HTML page.
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn write(report: &Report, sessions: &[Session], out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::with_capacity(64 * 1024);
    let count = report.sessions.len();
    let title = report.title.as_deref().unwrap_or("Who spoke at the table");
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{generator}\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header class=\"page\"><h1>{title}</h1><p>{count} meeting{s} · made by {generator} · no audio, only who spoke when</p></header>\n<main>\n",
        generator = escape(&report.generator),
        title = escape(title),
        s = if count == 1 { "" } else { "s" },
    );
    let lost: usize = report.inputs.iter().map(|i| i.frames_lost).sum();
    if lost > 0 {
        let _ = writeln!(
            page,
            "<p class=\"warn\">{lost} damaged frame{} could not be read; everything else is shown.</p>",
            if lost == 1 { "" } else { "s" }
        );
    }
    let colours = Colours::of(&report.sessions);
    if count >= 2 {
        series_section(&mut page, report, &colours);
    }
    for (i, figures) in report.sessions.iter().enumerate().take(DETAILED) {
        let meeting = Meeting {
            index: i,
            figures,
            session: sessions.get(i),
            names: figures.seats.iter().map(identity).collect(),
            colours: &colours,
        };
        session_section(&mut page, &meeting);
    }
    if count > DETAILED {
        let _ = writeln!(
            page,
            "<p class=\"note\">Details of the first {DETAILED} of {count} meetings are shown; \
             the series tables above cover all of them. For one meeting's details: \
             <code>tabletalk report FILE --format html</code>.</p>"
        );
    }
    page.push_str("</main>\n</body>\n</html>\n");
    out.write_all(page.as_bytes())
}

/// One meeting as its section's topics see it.
pub struct Meeting<'a> {
    /// Its position in the report.
    pub index: usize,
    /// Its figures.
    pub figures: &'a SessionFigures,
    /// Its turns, when the report has them (the timeline draws them).
    pub session: Option<&'a Session>,
    /// The name of each seat's person.
    pub names: Vec<String>,
    /// The page's colours.
    pub colours: &'a Colours,
}

impl Meeting<'_> {
    fn name(&self, seat: usize) -> &str {
        self.names.get(seat).map_or("?", String::as_str)
    }
    fn colour(&self, seat: usize) -> &str {
        self.colours.of_person(self.name(seat))
    }
}

/// A topic of a meeting's section: writes its heading and content, or
/// nothing when it does not apply.
pub type Topic = fn(&mut String, &Meeting<'_>);

/// The topics of a meeting's section, in page order.
pub const TOPICS: [Topic; 9] = [
    share_topic,
    timeline_topic,
    transitions_topic,
    balance_topic,
    groups_topic,
    |page, m| exchange::section(page, m.figures),
    |page, m| decisions::section(page, m.figures),
    full_table,
    notes_topic,
];

fn session_section(page: &mut String, m: &Meeting<'_>) {
    let s = m.figures;
    let g = &s.group;
    let _ = write!(
        page,
        "<section class=\"session\" id=\"meeting-{}\">\n<h2>{} <small>{} · session {}</small></h2>\n",
        m.index,
        escape(&meeting_name(s)),
        escape(&s.source),
        s.session
    );
    headline(page, m);
    let _ = writeln!(
        page,
        "<div class=\"cards\">\
         <div class=\"card\"><b>{}</b><span>balance: {}</span></div>\
         <div class=\"card\"><b>{}</b><span>recorded</span></div>\
         <div class=\"card\"><b>{}</b><span>someone speaking</span></div>\
         <div class=\"card\"><b>{}</b><span>of speech in overlap</span></div>\
         <div class=\"card\"><b>{}</b><span>changes of speaker</span></div></div>",
        figure(g.evenness),
        balance_words(g.evenness),
        duration(g.duration_ms),
        duration(g.speech_ms),
        g.overlap_ratio.map_or("–".into(), percent),
        g.floor_transitions,
    );
    for topic in TOPICS {
        topic(page, m);
    }
    page.push_str("</section>\n");
}

/// Names, each in bold, joined in words: "A", "A and B", "A, B and 3 more".
fn name_list(names: &[&str], max: usize) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(max)
        .map(|n| format!("<b>{}</b>", escape(n)))
        .collect();
    let more = names.len().saturating_sub(max);
    match (shown.split_last(), more) {
        (None, _) => String::new(),
        (Some((last, [])), 0) => last.clone(),
        (Some((last, rest)), 0) => format!("{} and {last}", rest.join(", ")),
        (Some(_), more) => format!("{} and {more} more", shown.join(", ")),
    }
}

fn headline(page: &mut String, m: &Meeting<'_>) {
    let s = m.figures;
    let g = &s.group;
    let n = s.seats.len();
    page.push_str("<ul class=\"headline\">");
    if g.speech_ms == 0 {
        page.push_str("<li>Nobody spoke in this meeting.</li>");
    } else {
        let top = s.seats.iter().max_by(|a, b| a.share.total_cmp(&b.share));
        let low = s.seats.iter().min_by(|a, b| a.share.total_cmp(&b.share));
        if let Some(top) = top {
            let _ = write!(
                page,
                "<li>Speaking was <b>{}</b>. <b>{}</b> spoke most: {} of the speaking ({}).</li>",
                balance_words(g.evenness),
                escape(m.name(top.seat)),
                percent(top.share),
                versus_fair(top.share, n)
            );
        }
        let silent: Vec<&str> = s
            .seats
            .iter()
            .filter(|x| x.speaking_ms == 0)
            .map(|x| m.name(x.seat))
            .collect();
        if !silent.is_empty() {
            let _ = write!(
                page,
                "<li>{} never spoke ({} of {n} seats).</li>",
                name_list(&silent, 6),
                silent.len()
            );
        } else if let Some(low) = low {
            let _ = write!(
                page,
                "<li><b>{}</b> spoke least: {} of the speaking.</li>",
                escape(m.name(low.seat)),
                percent(low.share)
            );
        }
        let interruptions: u32 = s.seats.iter().map(|x| x.interruptions_made).sum();
        let _ = write!(
            page,
            "<li>The floor changed hands <b>{}</b> times; people cut in on the speaker <b>{}</b> times.</li>",
            g.floor_transitions, interruptions
        );
        if let Some(mono) = &g.longest_monologue {
            let _ = write!(
                page,
                "<li>The longest stretch anyone held the floor: <b>{}</b> by {}.</li>",
                duration(mono.duration_ms),
                escape(m.name(mono.seat))
            );
        }
    }
    page.push_str("</ul>\n");
}

/// One row of [`bar_rows`].
struct BarRow {
    name: String,
    share: f64,
    colour: String,
    value: String,
    /// A row's own fair share, drawn as a dashed tick on it.
    fair: Option<f64>,
}

/// Horizontal bars with the name on its own line above each bar, so long
/// names are never cut and the chart stays narrow enough for a phone; a
/// dashed line across all rows at each `marks` share (the fair share).
fn bar_rows(class: &'static str, label: &str, rows: &[BarRow], marks: &[(f64, String)]) -> String {
    let (name_size, value_size) = (13.0, 12.0);
    let value_room = rows
        .iter()
        .map(|r| text_width(&r.value, value_size))
        .fold(60.0, f64::max)
        + 8.0;
    let longest_name = rows
        .iter()
        .map(|r| text_width(&r.name, name_size))
        .fold(0.0, f64::max);
    let bars = 220.0;
    let width = (bars + value_room + 4.0).max(longest_name + 4.0);
    let max = rows
        .iter()
        .flat_map(|r| [r.share, r.fair.unwrap_or(0.0)])
        .chain(marks.iter().map(|m| m.0))
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let x = |share: f64| 2.0 + bars * share / max;
    let row = 36.0;
    let bottom = row * rows.len() as f64;
    let height = bottom + if marks.is_empty() { 4.0 } else { 24.0 };
    let mut svg = Svg::new(class, label, width, height);
    for (i, r) in rows.iter().enumerate() {
        let y = row * i as f64;
        svg.text(Text::new(2.0, y + 13.0, &r.name).size(name_size));
        let tooltip = format!("{}: {}", r.name, r.value);
        svg.rect(
            2.0,
            y + 17.0,
            x(r.share) - 2.0,
            13.0,
            &r.colour,
            Some(&tooltip),
        );
        let end = x(r.share).max(r.fair.map_or(0.0, x));
        svg.text(Text::new(end + 5.0, y + 28.0, &r.value).size(value_size));
        if let Some(fair) = r.fair {
            svg.line(
                (x(fair), y + 14.0),
                (x(fair), y + 33.0),
                "#222",
                1.5,
                Some("3 2"),
            );
        }
    }
    for (share, text) in marks {
        let fx = x(*share);
        svg.line((fx, 15.0), (fx, bottom + 2.0), "#222", 1.5, Some("5 4"));
        svg.text(
            Text::new(fx, bottom + 16.0, text)
                .size(12.0)
                .anchor(Anchor::Middle),
        );
    }
    svg.finish()
}

fn share_topic(page: &mut String, m: &Meeting<'_>) {
    let s = m.figures;
    let n = s.seats.len().max(1);
    page.push_str("<h3>Share of voice</h3>\n<p class=\"help\">How much of the speaking each person did. The dashed line is a fair share: what each would have if everyone spoke equally.</p>\n");
    let rows: Vec<BarRow> = s
        .seats
        .iter()
        .map(|seat| BarRow {
            name: m.name(seat.seat).to_owned(),
            share: seat.share,
            colour: m.colour(seat.seat).to_owned(),
            value: format!("{} · {}", percent(seat.share), versus_fair(seat.share, n)),
            fair: None,
        })
        .collect();
    let fair = 1.0 / n as f64;
    page.push_str(&bar_rows(
        "share",
        "Share of voice per person",
        &rows,
        &[(fair, format!("fair share {}", percent(fair)))],
    ));
}

/// The width of a column of names at `size` px, with room for `also` (a
/// chart's own label in that column) and a gap.
fn name_column(names: &[String], also: &str, size: f64) -> f64 {
    names
        .iter()
        .map(|n| text_width(n, size))
        .fold(text_width(also, size), f64::max)
        + 12.0
}

fn timeline_topic(page: &mut String, m: &Meeting<'_>) {
    let Some(session) = m.session else { return };
    page.push_str("<h3>Who spoke when</h3>\n<p class=\"help\">One row per person; time runs left to right. The red row marks moments when two or more spoke at once; vertical lines are agenda points, grey bands are pauses.</p>\n");
    let s = m.figures;
    let n = s.seats.len();
    let left = name_column(&m.names, "at once", 12.5);
    let (width, lane, top) = (780.0, 20.0, 8.0);
    let span = (s.end_ms - s.start_ms).max(1) as f64;
    let x = |t: u64| left + width * (t.saturating_sub(s.start_ms)) as f64 / span;
    let overlap_y = top + lane * n as f64 + 4.0;
    let axis_y = overlap_y + lane + 6.0;
    let mut svg = Svg::new(
        "timeline",
        "Who spoke when",
        left + width + 20.0,
        axis_y + 34.0,
    );
    for (a, b) in session.paused() {
        svg.rect(
            x(a),
            top,
            (x(b) - x(a)).max(1.0),
            axis_y - top,
            "#e3e6ea",
            None,
        );
    }
    let by_seat = session.stretches_by_seat();
    for (i, stretches) in by_seat.iter().enumerate() {
        let y = top + lane * i as f64;
        svg.text(
            Text::new(left - 8.0, y + 14.0, m.name(i))
                .size(12.5)
                .anchor(Anchor::End),
        );
        svg.line(
            (left, y + lane / 2.0),
            (left + width, y + lane / 2.0),
            "#eef0f3",
            1.0,
            None,
        );
        svg.group(m.colour(i));
        pixel_rects(
            &mut svg,
            stretches.iter().map(|&(a, b)| (x(a), x(b))),
            y + 3.0,
            lane - 6.0,
        );
        svg.end_group();
    }
    let overlaps: Vec<(u64, u64)> = timeline::partition(&by_seat)
        .iter()
        .filter(|p| p.speakers() >= 2)
        .map(|p| (p.start, p.end))
        .collect();
    svg.text(
        Text::new(left - 8.0, overlap_y + 14.0, "at once")
            .size(12.5)
            .anchor(Anchor::End)
            .fill("#c0392b"),
    );
    svg.group("#c0392b");
    pixel_rects(
        &mut svg,
        overlaps.iter().map(|&(a, b)| (x(a), x(b))),
        overlap_y + 3.0,
        lane - 6.0,
    );
    svg.end_group();
    let mut agenda = 0;
    for marker in s.markers.iter().filter(|mk| mk.kind == MarkerKind::Agenda) {
        agenda += 1;
        let mx = x(marker.at_ms);
        svg.line((mx, top), (mx, axis_y), "#222", 1.2, None);
        svg.text(Text::new(mx + 2.0, top + 9.0, &format!("▸{agenda}")).size(11.0));
    }
    // Ticks at a round number of minutes.
    let step = nice_step(s.end_ms - s.start_ms, 8);
    svg.line((left, axis_y), (left + width, axis_y), "#888", 1.0, None);
    let mut t = 0;
    while t <= s.end_ms - s.start_ms {
        let tx = x(s.start_ms + t);
        svg.line((tx, axis_y), (tx, axis_y + 4.0), "#888", 1.0, None);
        svg.text(
            Text::new(tx, axis_y + 16.0, &clock(t))
                .size(11.0)
                .anchor(Anchor::Middle),
        );
        // Checked: a hostile log's extent reaches the end of u64, where a
        // wrapping step would never leave this loop.
        match t.checked_add(step) {
            Some(next) => t = next,
            None => break,
        }
    }
    let plot = Plot {
        left,
        top,
        width,
        height: axis_y - top,
    };
    plot.axis_name(&mut svg, "minutes into the meeting");
    page.push_str(&svg.finish());
}

/// Draws rectangles in pixel space, merging those less than half a pixel
/// apart: a long meeting stays a small file however many turns it has.
fn pixel_rects(svg: &mut Svg, spans: impl Iterator<Item = (f64, f64)>, y: f64, h: f64) {
    let mut current: Option<(f64, f64)> = None;
    for (a, b) in spans {
        current = match current {
            Some((ca, cb)) if a - cb < 0.5 => Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                svg.bare_rect(ca, y, (cb - ca).max(0.6), h);
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((a, b)) = current {
        svg.bare_rect(a, y, (b - a).max(0.6), h);
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

fn transitions_topic(page: &mut String, m: &Meeting<'_>) {
    page.push_str("<h3>Who spoke after whom</h3>\n<p class=\"help\">Read across a row: when that person had the floor, who took it next, and how often. Darker = more often.</p>\n");
    let s = m.figures;
    let n = s.seats.len();
    let cell = if n > 10 { 30.0 } else { 42.0 };
    let left = name_column(&m.names, "", 12.0);
    // Column names are rotated 45°: they need √½ of their length upwards.
    let top = m
        .names
        .iter()
        .map(|name| text_width(name, 12.0) * std::f64::consts::FRAC_1_SQRT_2)
        .fold(40.0, f64::max)
        + 30.0;
    let size = cell * n as f64;
    let right = m.names.last().map_or(0.0, |name| {
        text_width(name, 12.0) * std::f64::consts::FRAC_1_SQRT_2
    });
    let max = s
        .group
        .transitions
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = Svg::new(
        "transitions",
        "Who spoke after whom",
        left + size + right.max(20.0) + 10.0,
        top + size + 10.0,
    );
    for j in 0..n {
        let cx = left + cell * j as f64 + cell / 2.0;
        svg.text(Text::new(cx, top - 6.0, m.name(j)).rotate(-45.0));
    }
    svg.text(Text::new(left, 14.0, "next speaker →").fill("#5b6675"));
    for (i, row) in s.group.transitions.iter().enumerate() {
        let y = top + cell * i as f64;
        svg.text(Text::new(left - 8.0, y + cell / 2.0 + 4.0, m.name(i)).anchor(Anchor::End));
        for (j, &count) in row.iter().enumerate() {
            let x = left + cell * j as f64;
            let strength = f64::from(count) / f64::from(max);
            let fill = if i == j {
                "#f0f1f3".to_owned()
            } else {
                format!("rgba(34,90,160,{:.3})", 0.06 + 0.94 * strength)
            };
            let tooltip = format!("{} → {}: {count}", m.name(i), m.name(j));
            svg.rect(
                x + 0.5,
                y + 0.5,
                cell - 1.0,
                cell - 1.0,
                &fill,
                Some(&tooltip),
            );
            if i != j {
                let ink = if strength > 0.55 { "#fff" } else { "#1d2530" };
                svg.text(
                    Text::new(x + cell / 2.0, y + cell / 2.0 + 4.0, &count.to_string())
                        .anchor(Anchor::Middle)
                        .fill(ink),
                );
            }
        }
    }
    page.push_str(&svg.finish());
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

fn balance_topic(page: &mut String, m: &Meeting<'_>) {
    let s = m.figures;
    let auto;
    let windows: &[RangeFigures] = if !s.windows.is_empty() {
        &s.windows
    } else if let Some(session) = m.session {
        auto = auto_windows(session);
        &auto
    } else {
        &[]
    };
    if !windows.is_empty() {
        page.push_str("<h3>Balance over time</h3>\n<p class=\"help\">Each column is a stretch of the meeting, split by who spoke in it. The black line is the balance (evenness): 1 when everyone spoke equally, 0 when one person did all the talking.</p>\n");
        balance_chart(page, m, windows);
    }
    if !s.segments.is_empty() {
        page.push_str("<h3>Balance per agenda point</h3>\n<p class=\"help\">The same, one column per agenda point.</p>\n");
        balance_chart(page, m, &s.segments);
    }
}

/// A legend of everyone, one name per line from (`x`, `y`).
fn legend(svg: &mut Svg, m: &Meeting<'_>, x: f64, y: f64) {
    for (i, name) in m.names.iter().enumerate() {
        let ly = y + 16.0 * i as f64;
        svg.rect(x, ly, 10.0, 10.0, m.colour(i), None);
        svg.text(Text::new(x + 16.0, ly + 9.5, name));
    }
}

const BALANCE_TICKS: [(f64, &str); 3] = [(0.0, "0"), (0.5, "½"), (1.0, "1")];

fn balance_chart(page: &mut String, m: &Meeting<'_>, ranges: &[RangeFigures]) {
    let s = m.figures;
    let count = ranges.len().max(1);
    let column = (700.0 / count as f64).clamp(4.0, 70.0);
    let plot = Plot {
        left: 50.0,
        top: 10.0,
        width: column * count as f64,
        height: 180.0,
    };
    let legend_x = plot.right() + 16.0;
    let legend_height = 22.0 + 16.0 * m.names.len() as f64;
    let width = legend_x + name_column(&m.names, "  balance", 12.0) + 16.0;
    let height = (plot.bottom() + 40.0).max(plot.top + legend_height);
    let mut svg = Svg::new("balance", "Balance over time", width, height);
    plot.value_axis(&mut svg, &BALANCE_TICKS, 1.0, "balance");
    let mut line = Vec::new();
    for (k, range) in ranges.iter().enumerate() {
        let x = plot.left + column * k as f64;
        let mut y = plot.bottom();
        for seat in &range.seats {
            let h = plot.height * seat.share;
            if h > 0.0 {
                y -= h;
                let tooltip = format!(
                    "{} {}–{}: {}",
                    m.name(seat.seat),
                    clock(range.start_ms.saturating_sub(s.start_ms)),
                    clock(range.end_ms.saturating_sub(s.start_ms)),
                    percent(seat.share)
                );
                svg.rect(
                    x + 1.0,
                    y,
                    (column - 2.0).max(1.0),
                    h,
                    m.colour(seat.seat),
                    Some(&tooltip),
                );
            }
        }
        if let Some(e) = range.evenness {
            line.push((x + column / 2.0, plot.y(e, 1.0)));
        }
        if count <= 16 || k % count.div_ceil(8) == 0 {
            svg.text(
                Text::new(
                    x + column / 2.0,
                    plot.bottom() + 14.0,
                    &clock(range.start_ms.saturating_sub(s.start_ms)),
                )
                .size(11.0)
                .anchor(Anchor::Middle),
            );
        }
    }
    svg.polyline(&line, "#111", 2.2);
    for &point in &line {
        svg.circle(point, 2.8, "#111", None);
    }
    svg.line(
        (legend_x, plot.top + 6.0),
        (legend_x + 18.0, plot.top + 6.0),
        "#111",
        2.2,
        None,
    );
    svg.text(Text::new(legend_x + 24.0, plot.top + 10.0, "balance"));
    legend(&mut svg, m, legend_x, plot.top + 22.0);
    plot.axis_name(&mut svg, "start of each stretch (minutes)");
    page.push_str(&svg.finish());
}

fn groups_topic(page: &mut String, m: &Meeting<'_>) {
    let Some(groups) = &m.figures.roster_groups else {
        return;
    };
    for (dimension, shares) in [
        (Dimension::Organisation, &groups.organisation),
        (Dimension::Sector, &groups.sector),
        (Dimension::Role, &groups.role),
    ] {
        if shares.len() > 1 || shares.first().is_some_and(|g| g.group != UNASSIGNED) {
            let _ = write!(page, "<h3>By {}</h3>\n<p class=\"help\">Dashed: its share of the seats (its fair share). Bar: its share of the speaking.</p>\n", dimension.name());
            group_chart(page, shares, m.colours);
        }
    }
}

fn group_chart(page: &mut String, shares: &[GroupShare], colours: &Colours) {
    let rows: Vec<BarRow> = shares
        .iter()
        .map(|g| BarRow {
            name: g.group.clone(),
            share: g.speaking_share,
            colour: colours.of_group(&g.group).to_owned(),
            value: format!(
                "{} · seats {}",
                percent(g.speaking_share),
                percent(g.seat_share)
            ),
            fair: Some(g.seat_share),
        })
        .collect();
    page.push_str(&bar_rows("groups", "Share by group", &rows, &[]));
}

fn full_table(page: &mut String, m: &Meeting<'_>) {
    let s = m.figures;
    let g = &s.group;
    page.push_str("<details><summary>All figures</summary>\n<div class=\"table\"><table><tr><th class=\"l\">who</th><th>speaking</th><th>share</th><th>turns</th><th>floor turns</th><th>median turn</th><th>longest turn</th><th>overlap</th><th>interruptions made (successful)</th><th>suffered (lost the floor)</th><th>backchannels</th></tr>\n");
    for x in &s.seats {
        let _ = writeln!(
            page,
            "<tr><td class=\"l\"><span style=\"color:{}\">■</span> {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{} ({})</td><td>{}</td></tr>",
            m.colour(x.seat),
            escape(m.name(x.seat)),
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
        "</table></div>\n<div class=\"table\"><table>\
         <tr><td class=\"l\">Balance: evenness (1 = all equal)</td><td>{}</td></tr>\
         <tr><td class=\"l\">Gini of speaking time (population form / n÷(n−1) form)</td><td>{} / {}</td></tr>\
         <tr><td class=\"l\">Turn counts: variance / coefficient of variation</td><td>{} / {}</td></tr>\
         <tr><td class=\"l\">Speech / silence / overlap</td><td>{} / {} / {}</td></tr>\
         <tr><td class=\"l\">Floor changes: after a gap / in overlap / median offset</td><td>{} / {} / {}</td></tr>\
         <tr><td class=\"l\">Pauses within one speaker (median)</td><td>{} ({})</td></tr>\
         <tr><td class=\"l\">Backchannels / burstiness</td><td>{} / {}</td></tr>\
         </table></div>\n</details>\n",
        figure(g.evenness),
        figure(g.gini),
        figure(g.gini_corrected),
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

fn notes_topic(page: &mut String, m: &Meeting<'_>) {
    for note in &m.figures.notes {
        let _ = writeln!(page, "<p class=\"note\">Note: {}</p>", escape(note));
    }
}

/// The series: summary table, people against fair share, quiet voices and
/// newcomers, organisations across meetings, balance per meeting.
fn series_section(page: &mut String, report: &Report, colours: &Colours) {
    let sessions = &report.sessions;
    let count = sessions.len();
    let _ = write!(
        page,
        "<section class=\"series\">\n<h2>Across {count} meetings</h2>\n\
         <nav class=\"meetings\">Jump to: <a href=\"#series-summary\">meetings</a> · \
         <a href=\"#series-people\">people</a> · <a href=\"#series-quiet\">quiet voices</a> · \
         <a href=\"#series-groups\">organisations</a> · <a href=\"#series-balance\">balance</a></nav>\n"
    );
    summary_table(page, sessions);
    people_tables(page, report, colours);
    organisation_table(page, sessions);
    page.push_str("<h3 id=\"series-balance\">Balance per meeting</h3>\n<p class=\"help\">Balance (evenness) in each meeting, in the order given: 1 = everyone spoke equally.</p>\n");
    trend_chart(page, sessions);
    exchange::trend_section(page, report);
    page.push_str("</section>\n");
}

fn summary_table(page: &mut String, sessions: &[SessionFigures]) {
    page.push_str("<h3 id=\"series-summary\">Meetings</h3>\n<div class=\"table\"><table><tr><th>#</th><th class=\"l\">meeting</th><th>seats</th><th>recorded</th><th>balance</th><th class=\"l\">spoke most</th><th class=\"l\">never spoke</th></tr>\n");
    for (i, s) in sessions.iter().enumerate().take(SUMMARY_ROWS) {
        let top = s.seats.iter().max_by(|a, b| a.share.total_cmp(&b.share));
        let silent: Vec<String> = s
            .seats
            .iter()
            .filter(|x| x.speaking_ms == 0)
            .map(identity)
            .collect();
        let name = escape(&meeting_name(s));
        let link = if i < DETAILED {
            format!("<a href=\"#meeting-{i}\">{name}</a>")
        } else {
            name
        };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"l\">{link}</td><td>{}</td><td>{}</td><td>{} {}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            i + 1,
            s.seats.len(),
            duration(s.group.duration_ms),
            figure(s.group.evenness),
            balance_words(s.group.evenness),
            top.filter(|_| s.group.speech_ms > 0)
                .map_or("–".to_owned(), |t| format!("{} {}", escape(&identity(t)), percent(t.share))),
            escape(&silent.join(", ")),
        );
    }
    page.push_str("</table></div>\n");
    if sessions.len() > SUMMARY_ROWS {
        let _ = writeln!(
            page,
            "<p class=\"note\">The first {SUMMARY_ROWS} of {} meetings are listed; the JSON or CSV report has them all.</p>",
            sessions.len()
        );
    }
}

/// Share ÷ fair share of each person in each of the first
/// [`SERIES_COLUMNS`] meetings (`None`: not there).
fn ratios(sessions: &[SessionFigures], person: &str) -> Vec<Option<f64>> {
    sessions
        .iter()
        .take(SERIES_COLUMNS)
        .map(|s| {
            let n = s.seats.len() as f64;
            s.seats
                .iter()
                .find(|x| identity(x) == person)
                .map(|x| x.share * n)
        })
        .collect()
}

fn people_tables(page: &mut String, report: &Report, colours: &Colours) {
    let sessions = &report.sessions;
    let Some(series) = &report.series else { return };
    let people = &series.people;
    let columns = sessions.len().min(SERIES_COLUMNS);
    page.push_str("<h3 id=\"series-people\">People, meeting by meeting</h3>\n<p class=\"help\">Each person's share of the speaking in each meeting, whichever seat they took. Red: under half a fair share; blue: over twice a fair share; blank: not there.</p>\n<div class=\"table\"><table><tr><th class=\"l\">who</th>");
    for i in 0..columns {
        let _ = write!(page, "<th>{}</th>", i + 1);
    }
    page.push_str("</tr>\n");
    for voice in people.iter().take(SERIES_PEOPLE) {
        let _ = write!(
            page,
            "<tr><td class=\"l\"><span style=\"color:{}\">■</span> {}</td>",
            colours.of_person(&voice.name),
            escape(&voice.name)
        );
        for s in sessions.iter().take(columns) {
            let n = s.seats.len() as f64;
            match s.seats.iter().find(|x| identity(x) == voice.name) {
                Some(x) => {
                    let ratio = x.share * n;
                    let class = if ratio < 0.5 {
                        " class=\"low\""
                    } else if ratio > 2.0 {
                        " class=\"high\""
                    } else {
                        ""
                    };
                    let _ = write!(page, "<td{class}>{}</td>", percent(x.share));
                }
                None => page.push_str("<td></td>"),
            }
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table></div>\n");
    if sessions.len() > SERIES_COLUMNS || people.len() > SERIES_PEOPLE {
        let _ = writeln!(
            page,
            "<p class=\"note\">Shown: the first {} meetings and {} people of {} meetings and {} people; the JSON report (<code>people</code>, <code>trend</code>) has them all.</p>",
            columns,
            people.len().min(SERIES_PEOPLE),
            sessions.len(),
            people.len()
        );
    }
    page.push_str("<p class=\"help\">The same as a chart: each person's share as a multiple of a fair share, meeting by meeting. The dashed line is a fair share (1×).</p>\n");
    ratio_chart(
        page,
        sessions,
        people.iter().take(SERIES_PEOPLE).map(|v| v.name.as_str()),
        colours,
    );

    let quiet: Vec<&str> = people
        .iter()
        .filter(|v| v.mostly_below_half_fair)
        .map(|v| v.name.as_str())
        .collect();
    page.push_str(
        "<h3 id=\"series-quiet\">Quiet voices and newcomers</h3>\n<ul class=\"headline\">",
    );
    if quiet.is_empty() {
        page.push_str("<li>Nobody was under half a fair share in most of their meetings.</li>");
    } else {
        let _ = write!(
            page,
            "<li>Under half a fair share in most of their meetings: {}.</li>",
            name_list(&quiet, 12)
        );
    }
    page.push_str("</ul>\n<p class=\"help\">Mean share in each person's first meetings (the first half of those they attended) against their later ones, as a multiple of a fair share.</p>\n<div class=\"table\"><table><tr><th class=\"l\">who</th><th>meetings</th><th>first: share (× fair), turns</th><th>later: share (× fair), turns</th><th>under ½ fair</th></tr>\n");
    for v in people.iter().take(SERIES_PEOPLE) {
        let period = |p: &crate::metrics::people::Period| {
            format!(
                "{} ({:.1}×), {:.0}",
                percent(p.share),
                p.share_of_fair,
                p.turns
            )
        };
        let _ = writeln!(
            page,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} of {}</td></tr>",
            escape(&v.name),
            v.meetings,
            period(&v.first),
            v.later.as_ref().map_or("–".to_owned(), period),
            v.below_half_fair,
            v.meetings
        );
    }
    page.push_str("</table></div>\n");
}

/// One small line per person: share ÷ fair share over the meetings.
fn ratio_chart<'a>(
    page: &mut String,
    sessions: &[SessionFigures],
    people: impl Iterator<Item = &'a str>,
    colours: &Colours,
) {
    let people: Vec<&str> = people.collect();
    let columns = sessions.len().clamp(2, SERIES_COLUMNS);
    let lane = 46.0;
    let plot_width = 300.0;
    let max = 3.0;
    let width = plot_width + 60.0;
    let mut svg = Svg::new(
        "people",
        "Share against fair share per person and meeting",
        width,
        lane * people.len() as f64 + 24.0,
    );
    let step = plot_width / (columns - 1) as f64;
    for (row, person) in people.iter().enumerate() {
        let top = lane * row as f64;
        let plot = Plot {
            left: 30.0,
            top: top + 16.0,
            width: plot_width,
            height: 24.0,
        };
        svg.text(Text::new(2.0, top + 12.0, person).size(12.5));
        let fair = plot.y(1.0, max);
        svg.line(
            (plot.left, fair),
            (plot.right(), fair),
            "#999",
            1.0,
            Some("4 3"),
        );
        svg.line(
            (plot.left, plot.bottom()),
            (plot.right(), plot.bottom()),
            "#d8dde4",
            1.0,
            None,
        );
        svg.text(
            Text::new(plot.left - 4.0, fair + 4.0, "1×")
                .size(10.5)
                .anchor(Anchor::End),
        );
        let colour = colours.of_person(person);
        let points: Vec<(usize, (f64, f64))> = ratios(sessions, person)
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| (i, (plot.left + step * i as f64, plot.y(r, max)))))
            .collect();
        let line: Vec<(f64, f64)> = points.iter().map(|p| p.1).collect();
        svg.polyline(&line, colour, 2.0);
        for (i, point) in &points {
            let tooltip = format!("{person}, meeting {}", i + 1);
            svg.circle(*point, 3.0, colour, Some(&tooltip));
        }
    }
    let bottom = lane * people.len() as f64 + 14.0;
    svg.text(Text::new(30.0, bottom, "meeting 1").size(10.5));
    svg.text(
        Text::new(30.0 + plot_width, bottom, &format!("meeting {columns}"))
            .size(10.5)
            .anchor(Anchor::End),
    );
    page.push_str(&svg.finish());
}

fn organisation_table(page: &mut String, sessions: &[SessionFigures]) {
    let mut organisations: Vec<&str> = Vec::new();
    for s in sessions {
        for g in s.roster_groups.iter().flat_map(|r| &r.organisation) {
            if g.group != UNASSIGNED && !organisations.contains(&g.group.as_str()) {
                organisations.push(&g.group);
            }
        }
    }
    if organisations.is_empty() {
        return;
    }
    let columns = sessions.len().min(SERIES_COLUMNS);
    page.push_str("<h3 id=\"series-groups\">Organisations, meeting by meeting</h3>\n<p class=\"help\">Each organisation's share of the speaking, and in brackets its share of the seats (its fair share).</p>\n<div class=\"table\"><table><tr><th class=\"l\">organisation</th>");
    for i in 0..columns {
        let _ = write!(page, "<th>{}</th>", i + 1);
    }
    page.push_str("</tr>\n");
    for org in &organisations {
        let _ = write!(page, "<tr><td class=\"l\">{}</td>", escape(org));
        for s in sessions.iter().take(columns) {
            let found = s
                .roster_groups
                .iter()
                .flat_map(|r| &r.organisation)
                .find(|g| g.group == *org);
            match found {
                Some(g) => {
                    let class = if g.speaking_share < g.seat_share * 0.5 {
                        " class=\"low\""
                    } else {
                        ""
                    };
                    let _ = write!(
                        page,
                        "<td{class}>{} ({})</td>",
                        percent(g.speaking_share),
                        percent(g.seat_share)
                    );
                }
                None => page.push_str("<td></td>"),
            }
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table></div>\n");
}

fn trend_chart(page: &mut String, sessions: &[SessionFigures]) {
    let count = sessions.len().min(SUMMARY_ROWS);
    let step = (620.0 / count.saturating_sub(1).max(1) as f64).clamp(1.0, 300.0);
    let plot = Plot {
        left: 50.0,
        top: 12.0,
        width: step * count.saturating_sub(1).max(1) as f64,
        height: 160.0,
    };
    let mut svg = Svg::new(
        "trend",
        "Balance per meeting",
        plot.right() + 40.0,
        plot.bottom() + 40.0,
    );
    plot.value_axis(&mut svg, &BALANCE_TICKS, 1.0, "balance");
    let points: Vec<((f64, f64), &SessionFigures, usize)> = sessions
        .iter()
        .take(count)
        .enumerate()
        .filter_map(|(i, s)| {
            s.group
                .evenness
                .map(|e| ((plot.left + step * i as f64, plot.y(e, 1.0)), s, i))
        })
        .collect();
    let line: Vec<(f64, f64)> = points.iter().map(|p| p.0).collect();
    svg.polyline(&line, "#225aa0", 2.0);
    for (point, s, i) in &points {
        let tooltip = format!(
            "{} {}: balance {}",
            i + 1,
            meeting_name(s),
            figure(s.group.evenness)
        );
        svg.circle(*point, 3.5, "#225aa0", Some(&tooltip));
    }
    let label_every = count.div_ceil(12).max(1);
    for i in (0..count).step_by(label_every) {
        svg.text(
            Text::new(
                plot.left + step * i as f64,
                plot.bottom() + 16.0,
                &(i + 1).to_string(),
            )
            .size(11.0)
            .anchor(Anchor::Middle),
        );
    }
    plot.axis_name(&mut svg, "meeting (as numbered in the table above)");
    page.push_str(&svg.finish());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::SeatFigures;

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(nice_step(60_000, 8), 10_000);
        assert_eq!(nice_step(3_600_000, 8), 600_000);
        assert_eq!(nice_step(0, 8), 1_000);
    }

    #[test]
    fn nearby_rects_merge() {
        let mut svg = Svg::new("c", "c", 10.0, 10.0);
        pixel_rects(
            &mut svg,
            [(0.0, 1.0), (1.2, 2.0), (5.0, 6.0)].into_iter(),
            0.0,
            1.0,
        );
        assert_eq!(svg.finish().matches("<rect").count(), 2);
    }

    #[test]
    fn colours_are_distinct_and_follow_people() {
        let palette: Vec<String> = (0..64).map(|i| nth_colour(&SEAT_COLOURS, i)).collect();
        let unique: std::collections::HashSet<&String> = palette.iter().collect();
        assert_eq!(unique.len(), 64);
        let seat = |seat: usize, label: &str| SeatFigures {
            seat,
            label: Some(label.into()),
            ..SeatFigures::default()
        };
        let mut a = SessionFigures::empty();
        a.seats = vec![seat(0, "Ana"), seat(1, "Ben")];
        let mut b = SessionFigures::empty();
        b.seats = vec![seat(0, "Ben"), seat(1, "Cy"), seat(2, "Ana")];
        let colours = Colours::of(&[a, b]);
        assert_eq!(colours.of_person("Ana"), SEAT_COLOURS[0]);
        assert_eq!(colours.of_person("Ben"), SEAT_COLOURS[1]);
        assert_eq!(colours.of_person("Cy"), SEAT_COLOURS[2]);
        assert!(!GROUP_COLOURS.iter().any(|g| SEAT_COLOURS.contains(g)));
    }

    /// `count` meetings of four, a different newcomer each time.
    fn series_page(count: usize) -> String {
        let figures: Vec<SessionFigures> = (0..count)
            .map(|i| {
                let mut s = SessionFigures::empty();
                s.source = format!("m{i}.ttlog");
                s.seats = (0..4)
                    .map(|seat| SeatFigures {
                        seat,
                        label: Some(if seat == 3 {
                            format!("new{i}")
                        } else {
                            format!("p{seat}")
                        }),
                        share: [0.5, 0.3, 0.2, 0.0][seat],
                        speaking_ms: [5, 3, 2, 0][seat],
                        ..SeatFigures::default()
                    })
                    .collect();
                s.group.speech_ms = 10;
                s
            })
            .collect();
        let report = Report::from_figures(
            figures,
            Vec::new(),
            &crate::metrics::Options::default(),
            None,
        );
        let mut page = Vec::new();
        write(&report, &[], &mut page).unwrap();
        String::from_utf8(page).unwrap()
    }

    #[test]
    fn a_long_series_stays_a_bounded_page() {
        let (short, long) = (series_page(1_000), series_page(4_000));
        assert!(long.contains("Details of the first 20 of 4000 meetings"));
        assert!(long.contains("The first 500 of 4000 meetings are listed"));
        assert_eq!(long.matches("class=\"session\"").count(), DETAILED);
        // Four times the meetings, hardly a bigger page.
        assert!(
            long.len() < short.len() * 11 / 10,
            "{} vs {} bytes",
            long.len(),
            short.len()
        );
        assert!(long.len() < 2_000_000, "{} bytes", long.len());
    }

    #[test]
    fn the_headline_names_the_silent_seats() {
        let page = series_page(2);
        assert!(
            page.contains("<b>new0</b> never spoke (1 of 4 seats)"),
            "{page}"
        );
        assert!(page.contains(
            "Under half a fair share in most of their meetings: <b>new0</b> and <b>new1</b>"
        ));
    }

    #[test]
    fn names_are_listed_in_words() {
        assert_eq!(name_list(&["A"], 3), "<b>A</b>");
        assert_eq!(
            name_list(&["A", "B", "C"], 3),
            "<b>A</b>, <b>B</b> and <b>C</b>"
        );
        assert_eq!(
            name_list(&["A", "B", "C"], 2),
            "<b>A</b>, <b>B</b> and 1 more"
        );
    }
}
