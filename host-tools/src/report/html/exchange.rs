//! The HTML of the exchange between roster groups: per dimension, one
//! sentence and the group × group matrix of floor passes; across sessions,
//! the E-I index of each.

use std::fmt::Write as _;

use super::escape;
use crate::metrics::exchange::GroupExchange;
use crate::metrics::groups::UNASSIGNED;
use crate::metrics::SessionFigures;
use crate::report::format::{figure, percent};
use crate::report::Report;
use crate::roster::Dimension;

/// The plural a sentence uses for a dimension's groups.
fn plural(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Organisation => "organisations",
        Dimension::Sector => "sectors",
        Dimension::Role => "roles",
    }
}

/// "The floor passed across organisations 38% of the time", with the E-I
/// index; `None` when no pass between placed seats was counted.
pub fn sentence(exchange: &GroupExchange, dimension: Dimension) -> Option<String> {
    let across = exchange.across_share()?;
    Some(format!(
        "The floor passed across {} {} of the time (E-I index {}).",
        plural(dimension),
        percent(across),
        figure(exchange.ei_index)
    ))
}

/// One session's exchange, for each dimension with two or more placed
/// groups.
pub fn section(page: &mut String, s: &SessionFigures) {
    let Some(exchange) = &s.exchange else { return };
    for dimension in Dimension::ALL {
        let e = exchange.get(dimension);
        let placed = e.groups.iter().filter(|g| *g != UNASSIGNED).count();
        if placed < 2 {
            continue;
        }
        let _ = write!(
            page,
            "<h3>Between {}</h3>\n<p class=\"help\">Read across a row: when someone of that group had the floor, whose group took it next, and how often. −1 = the floor stays inside groups, +1 = it only goes across.</p>\n",
            plural(dimension)
        );
        if let Some(sentence) = sentence(e, dimension) {
            let _ = writeln!(page, "<p class=\"exchange\">{}</p>", escape(&sentence));
        }
        matrix(page, e);
    }
}

fn matrix(page: &mut String, e: &GroupExchange) {
    let most = e
        .floor_passes
        .iter()
        .flatten()
        .max()
        .map_or(1, |&m| m.max(1));
    page.push_str("<table class=\"exchange\"><tr><th class=\"l\">from \\ to</th>");
    for group in &e.groups {
        let _ = write!(page, "<th>{}</th>", escape(group));
    }
    page.push_str("</tr>\n");
    for (group, row) in e.groups.iter().zip(&e.floor_passes) {
        let _ = write!(page, "<tr><td class=\"l\">{}</td>", escape(group));
        for &passes in row {
            let shade = 1.0 - 0.55 * f64::from(passes) / f64::from(most);
            let _ = write!(
                page,
                "<td style=\"background:hsl(212,45%,{:.0}%)\">{passes}</td>",
                shade * 100.0
            );
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
}

/// Across sessions: the E-I index of each, per dimension that has one.
pub fn trend_section(page: &mut String, report: &Report) {
    let Some(trend) = &report.exchange_trend else {
        return;
    };
    let rows: Vec<(&str, &Vec<Option<f64>>)> = [
        ("organisations", &trend.organisation),
        ("sectors", &trend.sector),
        ("roles", &trend.role),
    ]
    .into_iter()
    .filter(|(_, values)| values.iter().any(Option::is_some))
    .collect();
    if rows.is_empty() {
        return;
    }
    page.push_str("<section class=\"trend\">\n<h2>Exchange between groups, per session</h2>\n<p class=\"help\">The E-I index of the floor passes in each session: −1 = the floor stays inside groups, +1 = it only goes across.</p>\n<table><tr><th class=\"l\">between</th>");
    for s in &report.sessions {
        let _ = write!(page, "<th>{} #{}</th>", escape(&s.source), s.session);
    }
    page.push_str("</tr>\n");
    for (name, values) in rows {
        let _ = write!(page, "<tr><td class=\"l\">{name}</td>");
        for value in values {
            let _ = write!(page, "<td>{}</td>", figure(*value));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_counts_only_placed_groups() {
        let e = GroupExchange {
            groups: vec!["a".into(), UNASSIGNED.into(), "b".into()],
            floor_passes: vec![vec![3, 5, 1], vec![5, 0, 5], vec![1, 0, 0]],
            interruptions: vec![vec![0; 3]; 3],
            ei_index: Some(-0.2),
        };
        assert_eq!(
            sentence(&e, Dimension::Organisation).as_deref(),
            Some("The floor passed across organisations 40% of the time (E-I index -0.20).")
        );
        let none = GroupExchange {
            floor_passes: vec![vec![0, 5, 0], vec![5, 0, 5], vec![0, 0, 0]],
            ..e
        };
        assert_eq!(sentence(&none, Dimension::Role), None);
    }
}
