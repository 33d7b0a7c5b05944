//! The terminal report: per session a seat table and the balance in a few
//! lines, then windows, agenda segments, roster groups and trends.

use std::io::{self, Write};

use super::format::{bar, clock, duration, duration_f, figure, offset, percent, versus_fair};
use super::rows::{self, Rows};
use super::Report;
use crate::metrics::SessionFigures;

pub use super::rows::Align;

/// How the terminal report is shown: set from the terminal by the
/// command (`--color`, `NO_COLOR`, the terminal's width), never part of
/// the JSON document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Terminal {
    /// Columns to fit in; `None`: as wide as the table needs.
    pub width: Option<usize>,
    /// Whether to use ANSI colours.
    pub colour: bool,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Lays out rows of cells under a header, columns padded to their widest
/// cell, separated by two spaces.
pub fn layout(header: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    layout_within(header, rows, None, &[])
}

/// [`layout`] within `width` columns: drops the columns of `drop_order`
/// (indices, first dropped first) until the table fits, then shortens the
/// widest text column with an ellipsis.
pub fn layout_within(
    header: &[(&str, Align)],
    rows: &[Vec<String>],
    width: Option<usize>,
    drop_order: &[usize],
) -> String {
    let mut widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| chars(c))
                .max()
                .unwrap_or(0)
                .max(chars(h))
        })
        .collect();
    let mut keep = vec![true; header.len()];
    let total = |widths: &[usize], keep: &[bool]| {
        let shown: Vec<usize> = widths
            .iter()
            .zip(keep)
            .filter(|(_, &k)| k)
            .map(|(w, _)| *w)
            .collect();
        shown.iter().sum::<usize>() + 2 * shown.len().saturating_sub(1)
    };
    if let Some(limit) = width {
        for &column in drop_order {
            if total(&widths, &keep) <= limit {
                break;
            }
            if let Some(k) = keep.get_mut(column) {
                *k = false;
            }
        }
        let over = total(&widths, &keep).saturating_sub(limit);
        let widest_text = (0..header.len())
            .filter(|&i| keep.get(i) == Some(&true))
            .filter(|&i| header.get(i).is_some_and(|h| h.1 == Align::Left))
            .max_by_key(|&i| widths.get(i).copied().unwrap_or(0));
        if let Some(w) = widest_text.and_then(|i| widths.get_mut(i)) {
            if over > 0 {
                *w = w.saturating_sub(over).max(8);
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(header)
            .zip(&widths)
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(((cell, (_, align)), &w), _)| {
                let cell = if chars(cell) > w {
                    let mut short: String = cell.chars().take(w.saturating_sub(1)).collect();
                    short.push('…');
                    short
                } else {
                    (*cell).to_owned()
                };
                let pad = " ".repeat(w.saturating_sub(chars(&cell)));
                match align {
                    Align::Left => format!("{cell}{pad}"),
                    Align::Right => format!("{pad}{cell}"),
                }
            })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut text = line(header.iter().map(|h| h.0).collect());
    text.push('\n');
    for row in rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
        text.push('\n');
    }
    text
}

/// Breaks a line of `·`-separated parts into lines of at most `width`
/// columns (a part longer than that keeps a line of its own).
pub fn wrap(line: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return line.to_owned();
    };
    let mut out = String::new();
    let mut current = String::new();
    for part in line.split(" · ") {
        if current.is_empty() {
            current.push_str(part);
        } else if chars(&current) + 3 + chars(part) <= width {
            current.push_str(" · ");
            current.push_str(part);
        } else {
            out.push_str(&current);
            out.push_str("\n  ");
            current = part.to_owned();
        }
    }
    out.push_str(&current);
    out
}

/// Colours a finished report for a terminal: headings bold, bars cyan,
/// "silent" and quiet voices red.
fn colourise(text: &str) -> String {
    let (bold, cyan, red, reset) = ("\x1b[1m", "\x1b[36m", "\x1b[31m", "\x1b[0m");
    let mut out = String::with_capacity(text.len() * 11 / 10);
    let mut after_blank = true;
    for line in text.lines() {
        let heading = after_blank && !line.is_empty();
        after_blank = line.is_empty();
        if heading {
            out.push_str(&format!("{bold}{line}{reset}\n"));
            continue;
        }
        let mut coloured = String::with_capacity(line.len());
        let mut in_bar = false;
        for c in line.chars() {
            let bar = matches!(c, '█' | '▏' | '▎' | '▍' | '▌' | '▋' | '▊' | '▉');
            if bar && !in_bar {
                coloured.push_str(cyan);
            } else if !bar && in_bar {
                coloured.push_str(reset);
            }
            in_bar = bar;
            coloured.push(c);
        }
        if in_bar {
            coloured.push_str(reset);
        }
        let coloured = coloured
            .replace("silent", &format!("{red}silent{reset}"))
            .replace(" quiet", &format!(" {red}quiet{reset}"));
        out.push_str(&coloured);
        out.push('\n');
    }
    out
}

/// Lays out a shared table (see [`super::rows`]) within `width`, dropping
/// its last columns first.
fn layout_rows(table: &Rows, width: Option<usize>) -> String {
    let header: Vec<(&str, Align)> = table
        .header
        .iter()
        .map(|(label, align)| (label.as_str(), *align))
        .collect();
    let drop_order: Vec<usize> = (1..header.len()).rev().collect();
    layout_within(&header, &table.rows, width, &drop_order)
}

pub use crate::metrics::people::identity as seat_name;

/// A one-line title for a session.
pub fn session_title(s: &SessionFigures) -> String {
    let when = s.wall_clock_start_ms.map_or_else(String::new, |ms| {
        format!("{} · ", super::format::wall_clock(ms))
    });
    format!(
        "{when}{} · session {} · {} recorded · {} seats",
        s.source,
        s.session,
        duration(s.group.duration_ms),
        s.group.seats
    )
}

/// Writes the text report, fitted to `report.terminal`.
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let width = report.terminal.width;
    let mut text = Vec::new();
    if let Some(title) = &report.title {
        writeln!(text, "{title}\n")?;
    }
    for (i, s) in report.sessions.iter().enumerate() {
        if i > 0 {
            writeln!(text)?;
        }
        write_session(s, width, &mut text)?;
    }
    if !report.trend.is_empty() {
        let trend = rows::trend(report, if width.is_some_and(|w| w < 100) { 4 } else { 6 });
        writeln!(text, "\nAcross {} sessions", report.sessions.len())?;
        write!(text, "{}", layout_rows(&trend, width))?;
        writeln!(
            text,
            "{}",
            wrap(
                "people: mean share in their first and later meetings (× fair share) · meetings under half a fair share",
                width
            )
        )?;
        write!(text, "{}", layout_rows(&rows::voices(report), width))?;
    }
    let text = String::from_utf8_lossy(&text);
    if report.terminal.colour {
        out.write_all(colourise(&text).as_bytes())
    } else {
        out.write_all(text.as_bytes())
    }
}

fn write_session(s: &SessionFigures, width: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
    let g = &s.group;
    writeln!(out, "{}", wrap(&session_title(s), width))?;
    let n = g.seats;
    let rows: Vec<Vec<String>> = s
        .seats
        .iter()
        .map(|seat| {
            vec![
                seat.seat.to_string(),
                seat_name(seat),
                duration(seat.speaking_ms),
                percent(seat.share),
                bar(seat.share, 12),
                seat.turns.to_string(),
                seat.floor_turns.to_string(),
                duration_f(seat.median_turn_ms),
                format!(
                    "{}/{}",
                    seat.interruptions_made, seat.interruptions_suffered
                ),
                seat.backchannels.to_string(),
                versus_fair(seat.share, n),
            ]
        })
        .collect();
    // Narrow terminals lose the least-read columns first: backchannels,
    // seat number, bar, floor turns, interruptions, median turn.
    let header = [
        ("seat", Align::Right),
        ("who", Align::Left),
        ("speaking", Align::Right),
        ("share", Align::Right),
        ("", Align::Left),
        ("turns", Align::Right),
        ("floor", Align::Right),
        ("median", Align::Right),
        ("interrupts made/suffered", Align::Right),
        ("backch.", Align::Right),
        ("vs fair share", Align::Left),
    ];
    write!(
        out,
        "{}",
        layout_within(&header, &rows, width, &[9, 0, 8, 6, 4, 7])
    )?;
    writeln!(
        out,
        "{}",
        wrap(
            &format!(
                "balance {} {} (evenness) · Gini {} (n/(n−1): {}) · turn-count CV {}",
                figure(g.evenness),
                super::format::balance_words(g.evenness),
                figure(g.gini),
                figure(g.gini_corrected),
                figure(g.turn_count_cv)
            ),
            width
        )
    )?;
    writeln!(
        out,
        "{}",
        wrap(
            &format!(
                "time: speech {} · silence {} · overlap {} ({} of speech)",
                duration(g.speech_ms),
                duration(g.silence_ms),
                duration(g.overlap_ms),
                g.overlap_ratio.map_or("–".into(), percent)
            ),
            width
        )
    )?;
    let ft = &g.floor_transfer;
    writeln!(
        out,
        "{}",
        wrap(&format!(
            "floor: {} changes ({} after a gap, {} in overlap, median offset {}) · {} pauses (median {}) · burstiness {}",
        g.floor_transitions,
        ft.gaps,
        ft.overlaps,
        offset(ft.offset_median_ms),
        ft.pauses,
        duration_f(ft.pause_median_ms),
        figure(g.burstiness)
        ), width)
    )?;
    if let Some(m) = &g.longest_monologue {
        let who = s
            .seats
            .get(m.seat)
            .map_or_else(|| format!("seat {}", m.seat), seat_name);
        writeln!(
            out,
            "longest monologue: {who}, {} from {}",
            duration(m.duration_ms),
            clock(m.start_ms.saturating_sub(s.start_ms))
        )?;
    }
    for (title, ranges) in [
        ("per window", &s.windows),
        ("per agenda segment", &s.segments),
    ] {
        if !ranges.is_empty() {
            writeln!(out, "{title}:")?;
            write!(out, "{}", layout_rows(&rows::ranges(s, ranges), width))?;
        }
    }
    if let Some(groups) = &s.roster_groups {
        for (dimension, shares) in [
            ("organisation", &groups.organisation),
            ("sector", &groups.sector),
            ("role", &groups.role),
        ] {
            if shares
                .iter()
                .all(|g| g.group == crate::metrics::groups::UNASSIGNED)
            {
                continue;
            }
            writeln!(out, "by {dimension}:")?;
            write!(
                out,
                "{}",
                layout_rows(
                    &rows::groups(
                        shares,
                        [
                            "group",
                            "seats",
                            "seat share",
                            "speaking share",
                            "turn share",
                            "voice ratio",
                        ]
                    ),
                    width
                )
            )?;
        }
    }
    let silent: Vec<String> = s
        .seats
        .iter()
        .filter(|x| x.speaking_ms == 0)
        .map(seat_name)
        .collect();
    if !silent.is_empty() && g.speech_ms > 0 {
        let line = format!(
            "never spoke ({} of {n} seats): {}",
            silent.len(),
            silent.join(" · ")
        );
        writeln!(out, "{}", wrap(&line, width))?;
    }
    for note in &s.notes {
        writeln!(out, "{}", wrap(&format!("note: {note}"), width))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Options, SeatFigures};

    fn report(width: Option<usize>, colour: bool) -> String {
        let mut s = SessionFigures::empty();
        s.source = "a/very/long/directory/name/for/the/meeting/logs/2026-12-03-board.ttlog".into();
        s.seats = (0..5)
            .map(|seat| SeatFigures {
                seat,
                name: Some(if seat == 0 {
                    "Margaret Okonkwo-Fairweather".into()
                } else {
                    format!("P{seat}")
                }),
                speaking_ms: [60_000, 30_000, 10_000, 0, 0][seat],
                share: [0.6, 0.3, 0.1, 0.0, 0.0][seat],
                turns: 3,
                ..SeatFigures::default()
            })
            .collect();
        s.group.seats = 5;
        s.group.speech_ms = 100_000;
        let mut report =
            Report::from_figures(vec![s.clone(), s], Vec::new(), &Options::default(), None);
        report.terminal = Terminal { width, colour };
        let mut out = Vec::new();
        write(&report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_report_fits_eighty_columns() {
        let wide = report(None, false);
        assert!(
            wide.lines().any(|l| chars(l) > 80),
            "the unfitted report is not wide"
        );
        let narrow = report(Some(80), false);
        for line in narrow.lines() {
            assert!(chars(line) <= 80, "{} columns: {line}", chars(line));
        }
        assert!(narrow.contains("Margaret Okonkwo-Fairweather"));
        assert!(narrow.contains("never spoke (2 of 5 seats): P3 · P4"));
        assert!(!narrow.contains('\x1b'));
    }

    #[test]
    fn colour_marks_headings_bars_and_silence() {
        let text = report(None, true);
        assert!(text.contains("\x1b[1m"));
        assert!(text.contains("\x1b[36m█"));
        assert!(text.contains("\x1b[31msilent\x1b[0m"));
    }

    #[test]
    fn columns_go_in_the_order_given_then_text_shortens() {
        let header = [("a", Align::Left), ("b", Align::Right), ("c", Align::Right)];
        let rows = vec![vec![
            "abcdefghijklmnop".to_owned(),
            "1".to_owned(),
            "2".to_owned(),
        ]];
        assert_eq!(
            layout_within(&header, &rows, Some(19), &[2, 1]),
            "a                 b\nabcdefghijklmnop  1\n"
        );
        assert_eq!(
            layout_within(&header, &rows, Some(10), &[2, 1]),
            "a\nabcdefghi…\n"
        );
        assert_eq!(wrap("ab · cd · ef", Some(7)), "ab · cd\n  ef");
    }
}
