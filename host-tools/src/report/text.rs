//! The terminal report: per session a seat table and the balance in a few
//! lines, then windows, agenda segments, roster groups and trends.

use std::io::{self, Write};

use super::format::{bar, clock, duration, duration_f, figure, offset, percent, versus_fair};
use super::rows::{self, Rows};
use super::Report;
use crate::metrics::SessionFigures;

pub use super::rows::Align;

/// Lays out rows of cells under a header, columns padded to their widest
/// cell, separated by two spaces.
pub fn layout(header: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let width = |s: &str| s.chars().count();
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| width(c))
                .max()
                .unwrap_or(0)
                .max(width(h))
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(header)
            .zip(&widths)
            .map(|((cell, (_, align)), &w)| {
                let pad = " ".repeat(w.saturating_sub(width(cell)));
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

/// Lays out a shared table (see [`super::rows`]).
fn layout_rows(table: &Rows) -> String {
    let header: Vec<(&str, Align)> = table
        .header
        .iter()
        .map(|(label, align)| (label.as_str(), *align))
        .collect();
    layout(&header, &table.rows)
}

pub use crate::metrics::people::identity as seat_name;

/// A one-line title for a session.
pub fn session_title(s: &SessionFigures) -> String {
    format!(
        "{} · session {} · {} recorded · {} seats",
        s.source,
        s.session,
        duration(s.group.duration_ms),
        s.group.seats
    )
}

/// Writes the text report.
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for (i, s) in report.sessions.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_session(s, out)?;
    }
    if !report.trend.is_empty() {
        writeln!(out, "\nAcross {} sessions", report.sessions.len())?;
        write!(out, "{}", layout_rows(&rows::trend(report, 6)))?;
        writeln!(out, "people: mean share in their first and later meetings (× fair share); meetings under half a fair share")?;
        write!(out, "{}", layout_rows(&rows::voices(report)))?;
    }
    Ok(())
}

fn write_session(s: &SessionFigures, out: &mut dyn Write) -> io::Result<()> {
    let g = &s.group;
    writeln!(out, "{}", session_title(s))?;
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
    write!(
        out,
        "{}",
        layout(
            &[
                ("seat", Align::Right),
                ("who", Align::Left),
                ("speaking", Align::Right),
                ("share", Align::Right),
                ("", Align::Left),
                ("turns", Align::Right),
                ("floor", Align::Right),
                ("median turn", Align::Right),
                ("interrupts made/suffered", Align::Right),
                ("backchannels", Align::Right),
                ("vs fair share", Align::Left),
            ],
            &rows
        )
    )?;
    writeln!(
        out,
        "balance {} {} (evenness) · Gini {} (n/(n−1): {}) · turn-count CV {}",
        figure(g.evenness),
        super::format::balance_words(g.evenness),
        figure(g.gini),
        figure(g.gini_corrected),
        figure(g.turn_count_cv)
    )?;
    writeln!(
        out,
        "time: speech {} · silence {} · overlap {} ({} of speech)",
        duration(g.speech_ms),
        duration(g.silence_ms),
        duration(g.overlap_ms),
        g.overlap_ratio.map_or("–".into(), percent)
    )?;
    let ft = &g.floor_transfer;
    writeln!(
        out,
        "floor: {} changes ({} after a gap, {} in overlap, median offset {}) · {} pauses (median {}) · burstiness {}",
        g.floor_transitions,
        ft.gaps,
        ft.overlaps,
        offset(ft.offset_median_ms),
        ft.pauses,
        duration_f(ft.pause_median_ms),
        figure(g.burstiness)
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
            write!(out, "{}", layout_rows(&rows::ranges(s, ranges)))?;
        }
    }
    if let Some(groups) = &s.roster_groups {
        for (dimension, shares) in [
            ("organisation", &groups.organisation),
            ("sector", &groups.sector),
            ("role", &groups.role),
        ] {
            writeln!(out, "by {dimension}:")?;
            write!(
                out,
                "{}",
                layout_rows(&rows::groups(
                    shares,
                    [
                        "group",
                        "seats",
                        "seat share",
                        "speaking share",
                        "turn share",
                        "voice ratio",
                    ]
                ))
            )?;
        }
    }
    for note in &s.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}
