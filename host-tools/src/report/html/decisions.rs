//! The HTML of decisions: one line per decision, saying who spoke most in
//! its lead-up.

use std::fmt::Write as _;

use super::escape;
use crate::metrics::decisions::Decision;
use crate::metrics::SessionFigures;
use crate::report::format::percent;
use crate::report::text::seat_name;

/// A lead-up in words: "5 minutes", "1 minute", "90 seconds".
fn span(ms: u64) -> String {
    let seconds = ms.div_ceil(1000);
    match seconds {
        60 => "minute".to_owned(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        1 => "second".to_owned(),
        s => format!("{s} seconds"),
    }
}

/// "In the 5 minutes before decision 2, City Council spoke 71% of the
/// time": the group (with a roster, by organisation) or else the seat
/// that spoke most; `number` counts from 1.
pub fn line(s: &SessionFigures, decision: &Decision, number: usize) -> String {
    let lead_in = format!(
        "In the {} before decision {number}",
        span(decision.lead_up_ms)
    );
    let by_group = decision
        .groups
        .as_ref()
        .and_then(|g| {
            g.organisation
                .iter()
                .filter(|g| g.group != crate::metrics::groups::UNASSIGNED)
                .max_by(|a, b| a.speaking_share.total_cmp(&b.speaking_share))
        })
        .filter(|g| g.speaking_ms > 0)
        .map(|g| (g.group.clone(), g.speaking_share));
    let by_seat = || {
        decision
            .seats
            .iter()
            .filter(|x| x.speaking_ms > 0)
            .max_by(|a, b| a.share.total_cmp(&b.share).then(b.seat.cmp(&a.seat)))
            .map(|x| {
                let name = s
                    .seats
                    .get(x.seat)
                    .map_or_else(|| format!("seat {}", x.seat), seat_name);
                (name, x.share)
            })
    };
    match by_group.or_else(by_seat) {
        Some((who, share)) => format!("{lead_in}, {who} spoke {} of the time.", percent(share)),
        None => format!("{lead_in}, nobody spoke."),
    }
}

/// One session's decisions, if it has any.
pub fn section(page: &mut String, s: &SessionFigures) {
    if s.decisions.is_empty() {
        return;
    }
    page.push_str("<h3>Before each decision</h3>\n<p class=\"help\">Who held the floor in the lead-up to each decision the facilitator marked.</p>\n<ul class=\"decisions\">\n");
    for (i, decision) in s.decisions.iter().enumerate() {
        let _ = writeln!(page, "<li>{}</li>", escape(&line(s, decision, i + 1)));
    }
    page.push_str("</ul>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::decisions::DecisionSeat;

    #[test]
    fn spans_in_words() {
        assert_eq!(span(300_000), "5 minutes");
        assert_eq!(span(60_000), "minute");
        assert_eq!(span(90_000), "90 seconds");
    }

    #[test]
    fn the_seat_that_spoke_most_without_a_roster() {
        let mut s = SessionFigures::empty();
        s.seats = vec![Default::default(), Default::default()];
        s.seats[1].seat = 1;
        let decision = Decision {
            at_ms: 400_000,
            lead_up_ms: 300_000,
            seats: vec![
                DecisionSeat {
                    seat: 0,
                    speaking_ms: 29_000,
                    share: 0.29,
                },
                DecisionSeat {
                    seat: 1,
                    speaking_ms: 71_000,
                    share: 0.71,
                },
            ],
            groups: None,
        };
        assert_eq!(
            line(&s, &decision, 2),
            format!(
                "In the 5 minutes before decision 2, {} spoke 71% of the time.",
                seat_name(&s.seats[1])
            )
        );
    }
}
