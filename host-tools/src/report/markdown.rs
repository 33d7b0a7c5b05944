//! Markdown for meeting notes: a section per session with its seat table,
//! balance figures, and (when present) windows, agenda segments, roster
//! groups and trends.

use std::io::{self, Write};

use super::format::{
    balance_words, clock, duration, duration_f, figure, offset, percent, versus_fair,
};
use super::rows::{self, Align, Rows};
use super::text::{seat_name, session_title};
use super::Report;
use crate::metrics::SessionFigures;

/// Escapes a cell: pipes and line breaks would break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A Markdown table; `right` marks right-aligned columns.
pub fn table(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut text = format!(
        "| {} |\n|{}|\n",
        header
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | "),
        header
            .iter()
            .enumerate()
            .map(|(i, _)| if right.get(i).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            })
            .collect::<Vec<_>>()
            .join("|")
    );
    for row in rows {
        text.push_str(&format!(
            "| {} |\n",
            row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    text
}

/// Renders a shared table (see [`super::rows`]).
fn table_rows(rows: &Rows) -> String {
    let header: Vec<&str> = rows
        .header
        .iter()
        .map(|(label, _)| label.as_str())
        .collect();
    let right: Vec<bool> = rows
        .header
        .iter()
        .map(|(_, align)| *align == Align::Right)
        .collect();
    table(&header, &right, &rows.rows)
}

/// Writes the Markdown report.
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# Participation report\n")?;
    for s in &report.sessions {
        write_session(s, out)?;
    }
    if !report.trend.is_empty() {
        writeln!(out, "## Across {} sessions\n", report.sessions.len())?;
        writeln!(out, "{}", table_rows(&rows::trend(report, 12)))?;
        writeln!(out, "People: mean share in their first and later meetings (× a fair share), and meetings under half a fair share.\n")?;
        writeln!(out, "{}", table_rows(&rows::voices(report)))?;
    }
    Ok(())
}

fn write_session(s: &SessionFigures, out: &mut dyn Write) -> io::Result<()> {
    let g = &s.group;
    writeln!(out, "## {}\n", cell(&session_title(s)))?;
    writeln!(
        out,
        "**Balance: {} {}** (evenness; 1 = all equal). Gini {} (n/(n−1) form {}), turn-count CV {}. \
         Speech {}, silence {}, overlap {} ({} of speech).\n",
        figure(g.evenness),
        balance_words(g.evenness),
        figure(g.gini),
        figure(g.gini_corrected),
        figure(g.turn_count_cv),
        duration(g.speech_ms),
        duration(g.silence_ms),
        duration(g.overlap_ms),
        g.overlap_ratio.map_or("–".into(), percent),
    )?;
    let rows: Vec<Vec<String>> = s
        .seats
        .iter()
        .map(|x| {
            vec![
                x.seat.to_string(),
                seat_name(x),
                duration(x.speaking_ms),
                percent(x.share),
                versus_fair(x.share, g.seats),
                x.turns.to_string(),
                x.floor_turns.to_string(),
                duration_f(x.median_turn_ms),
                duration(x.longest_turn_ms),
                duration(x.overlap_ms),
                format!(
                    "{} ({} successful)",
                    x.interruptions_made, x.interruptions_made_successful
                ),
                format!(
                    "{} ({} lost the floor)",
                    x.interruptions_suffered, x.interruptions_suffered_successful
                ),
                x.backchannels.to_string(),
            ]
        })
        .collect();
    writeln!(
        out,
        "{}",
        table(
            &[
                "seat",
                "who",
                "speaking",
                "share",
                "vs fair share",
                "turns",
                "floor turns",
                "median turn",
                "longest turn",
                "overlap",
                "interruptions made",
                "interruptions suffered",
                "backchannels"
            ],
            &[true, false, true, true, false, true, true, true, true, true, true, true, true],
            &rows
        )
    )?;
    let ft = &g.floor_transfer;
    writeln!(
        out,
        "Floor changes: {} ({} after a gap, {} in overlap; median offset {}). Pauses within a speaker: {} (median {}). Burstiness {}.",
        g.floor_transitions, ft.gaps, ft.overlaps, offset(ft.offset_median_ms), ft.pauses, duration_f(ft.pause_median_ms), figure(g.burstiness)
    )?;
    if let Some(m) = &g.longest_monologue {
        let who = s
            .seats
            .get(m.seat)
            .map_or_else(|| format!("seat {}", m.seat), seat_name);
        writeln!(
            out,
            "Longest monologue: {}, {} from {}.",
            cell(&who),
            duration(m.duration_ms),
            clock(m.start_ms.saturating_sub(s.start_ms))
        )?;
    }
    writeln!(out)?;
    for (title, ranges) in [
        ("Per window", &s.windows),
        ("Per agenda segment", &s.segments),
    ] {
        if !ranges.is_empty() {
            writeln!(
                out,
                "### {title}\n\n{}",
                table_rows(&rows::ranges(s, ranges))
            )?;
        }
    }
    if let Some(groups) = &s.roster_groups {
        for (dimension, shares) in [
            ("organisation", &groups.organisation),
            ("sector", &groups.sector),
            ("role", &groups.role),
        ] {
            let rows = rows::groups(
                shares,
                [
                    "group",
                    "seats",
                    "share of seats",
                    "share of speaking",
                    "share of turns",
                    "voice ratio",
                ],
            );
            writeln!(out, "### By {dimension}\n\n{}", table_rows(&rows))?;
        }
    }
    for note in &s.notes {
        writeln!(out, "> note: {}\n", cell(note))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_are_escaped() {
        let t = table(&["a|b"], &[true], &[vec!["x|y".into()]]);
        assert_eq!(t, "| a\\|b |\n|---:|\n| x\\|y |\n");
    }
}
