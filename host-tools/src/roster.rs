//! The roster: who sits at which seat, kept only on the laptop (names never
//! go into a log). A TOML file with one `[[seat]]` table per seat:
//!
//! ```toml
//! # Match a seat by its index (from 0, as in the log) or by its label.
//! [[seat]]
//! seat = 0
//! name = "Ana Ruiz"
//! organisation = "Harbour Trust"
//! sector = "non-profit"
//! role = "chair"
//!
//! [[seat]]
//! label = "FEE041"          # e.g. a speaker imported from RTTM
//! name = "Ben Okafor"
//! organisation = "City council"
//! sector = "public"
//! role = "new member"
//!
//! [[seat]]
//! log = "ES2011b"           # this log only: its file name without extension
//! seat = 2
//! name = "Ana Ruiz"         # the same person, at another seat that day
//! ```
//!
//! Every field but the seat selector is optional. `organization` is
//! accepted for `organisation`. An entry with `log` applies to that log
//! (or RTTM recording) only and wins over entries without one, which apply
//! to every log.

use std::path::Path;

use serde::Deserialize;

use crate::session::Session;

/// One person at one seat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterEntry {
    /// The log this entry applies to (its file name without extension, or
    /// an RTTM recording id); `None`: every log.
    pub log: Option<String>,
    /// The seat index (from 0), or…
    pub seat: Option<usize>,
    /// …the seat label this entry applies to.
    pub label: Option<String>,
    /// The person's name.
    pub name: Option<String>,
    /// Their organisation.
    #[serde(alias = "organization")]
    pub organisation: Option<String>,
    /// Their sector (public, private, community…).
    pub sector: Option<String>,
    /// Their role (chair, new member…).
    pub role: Option<String>,
}

/// A roster file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// The entries, one per seat.
    #[serde(default, rename = "seat")]
    pub entries: Vec<RosterEntry>,
}

/// The three ways seats can be grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// By organisation.
    Organisation,
    /// By sector.
    Sector,
    /// By role.
    Role,
}

impl Dimension {
    /// All dimensions, in report order.
    pub const ALL: [Dimension; 3] = [Dimension::Organisation, Dimension::Sector, Dimension::Role];

    /// The field name.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Organisation => "organisation",
            Dimension::Sector => "sector",
            Dimension::Role => "role",
        }
    }
}

impl RosterEntry {
    /// This entry's group in `dimension`, if it says.
    pub fn group(&self, dimension: Dimension) -> Option<&str> {
        match dimension {
            Dimension::Organisation => self.organisation.as_deref(),
            Dimension::Sector => self.sector.as_deref(),
            Dimension::Role => self.role.as_deref(),
        }
    }
}

impl Roster {
    /// Parses roster TOML.
    ///
    /// # Errors
    /// A message naming what is wrong (TOML syntax, unknown field, an entry
    /// with neither `seat` nor `label`).
    pub fn parse(text: &str) -> Result<Roster, String> {
        let roster: Roster = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        if let Some(i) = roster
            .entries
            .iter()
            .position(|e| e.seat.is_none() && e.label.is_none())
        {
            return Err(format!(
                "[[seat]] entry {} has neither `seat = N` nor `label = \"…\"`",
                i + 1
            ));
        }
        Ok(roster)
    }

    /// Reads and parses a roster file.
    ///
    /// # Errors
    /// I/O or parse errors, as one line naming the file.
    pub fn load(path: &Path) -> Result<Roster, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read roster {}: {e}", path.display()))?;
        Roster::parse(&text).map_err(|e| format!("roster {}: {e}", path.display()))
    }

    /// The entry for seat `index` of `session`.
    pub fn entry(&self, session: &Session, index: usize) -> Option<&RosterEntry> {
        let label = session.seats.get(index).and_then(|s| s.label.as_deref());
        self.entry_index(&session.source, index, label)
            .and_then(|i| self.entries.get(i))
    }

    /// The index of the entry for seat `index` (labelled `label`) of a
    /// session from `source`. The most specific entry wins: one naming
    /// this log before one for every log, then a label match before an
    /// index match.
    pub fn entry_index(&self, source: &str, index: usize, label: Option<&str>) -> Option<usize> {
        let recording = recording(source);
        let stem = file_stem(source);
        let for_this_log = |e: &RosterEntry| match e.log.as_deref() {
            Some(log) => log == recording || log == stem,
            None => true,
        };
        let by_label = |e: &RosterEntry| label.is_some() && e.label.as_deref() == label;
        let by_index = |e: &RosterEntry| e.label.is_none() && e.seat == Some(index);
        let find = |specific: bool, matches: &dyn Fn(&RosterEntry) -> bool| {
            self.entries
                .iter()
                .position(|e| e.log.is_some() == specific && for_this_log(e) && matches(e))
        };
        find(true, &by_label)
            .or_else(|| find(true, &by_index))
            .or_else(|| find(false, &by_label))
            .or_else(|| find(false, &by_index))
    }

    /// The entry for seat `index` by its index alone (`seat = N`, no label,
    /// no log): a live device's seats have no labels and no log yet.
    pub fn entry_by_index(&self, index: usize) -> Option<&RosterEntry> {
        self.entries
            .iter()
            .find(|e| e.log.is_none() && e.label.is_none() && e.seat == Some(index))
    }

    /// Warnings for entries that matched no seat in any session (`used[i]`:
    /// entry `i` matched at least once), or one warning when nothing matched.
    pub fn unmatched_warnings(&self, used: &[bool]) -> Vec<String> {
        let describe = |e: &RosterEntry| {
            let who = e.name.as_deref().unwrap_or("(no name)");
            let at = match (&e.label, e.seat) {
                (Some(label), _) => format!("label \"{label}\""),
                (None, Some(seat)) => format!("seat {seat}"),
                (None, None) => "no seat".to_owned(),
            };
            match &e.log {
                Some(log) => format!("{who} ({at}, log \"{log}\")"),
                None => format!("{who} ({at})"),
            }
        };
        if !self.entries.is_empty() && !used.iter().any(|&u| u) {
            return vec![format!(
                "the roster matches no seat of any session: every seat is \"(not in roster)\" \
                 (check `seat`, `label` and `log` against the report's seats)"
            )];
        }
        self.entries
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.get(*i).copied().unwrap_or(false))
            .map(|(_, e)| format!("roster entry {} matches no seat", describe(e)))
            .collect()
    }
}

/// The recording a session's `source` names: the RTTM recording id after
/// `#`, else the file name without extension.
///
/// ```
/// use tabletalk::roster::recording;
/// assert_eq!(recording("logs/ES2011a.ttlog"), "ES2011a");
/// assert_eq!(recording("all.rttm#IB4001"), "IB4001");
/// ```
pub fn recording(source: &str) -> &str {
    match source.rsplit_once('#') {
        Some((_, id)) if !id.is_empty() => id,
        _ => file_stem(source),
    }
}

/// The file name of `source` without directory and extension.
fn file_stem(source: &str) -> &str {
    let path = source.split('#').next().unwrap_or(source);
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{SeatInfo, SessionBuilder};
    use tabletalk_core::seat::InputKind;

    #[test]
    fn entries_match_by_label_or_index() {
        let roster = Roster::parse(
            "[[seat]]\nseat = 0\nname = \"Ana\"\norganization = \"A\"\n\
             [[seat]]\nlabel = \"X\"\nrole = \"chair\"\n",
        )
        .unwrap();
        let session = SessionBuilder::new(vec![
            SeatInfo::new(None, InputKind::Button),
            SeatInfo::new(Some("X".into()), InputKind::Button),
            SeatInfo::new(None, InputKind::Button),
        ])
        .finish();
        let ana = roster.entry(&session, 0).unwrap();
        assert_eq!(ana.name.as_deref(), Some("Ana"));
        assert_eq!(ana.group(Dimension::Organisation), Some("A"));
        assert_eq!(
            roster.entry(&session, 1).unwrap().role.as_deref(),
            Some("chair")
        );
        assert!(roster.entry(&session, 2).is_none());
    }

    #[test]
    fn an_entry_for_one_log_wins_there_only() {
        let roster = Roster::parse(
            "[[seat]]\nseat = 0\nname = \"Ana\"\n\
             [[seat]]\nlog = \"b\"\nseat = 0\nname = \"Ben\"\n\
             [[seat]]\nlog = \"b\"\nseat = 1\nname = \"Ana\"\n\
             [[seat]]\nlog = \"zzz\"\nseat = 3\nname = \"Nobody\"\n",
        )
        .unwrap();
        assert_eq!(roster.entry_index("dir/a.ttlog", 0, None), Some(0));
        assert_eq!(roster.entry_index("dir/b.ttlog", 0, None), Some(1));
        assert_eq!(roster.entry_index("dir/b.ttlog", 1, None), Some(2));
        assert_eq!(roster.entry_index("x.rttm#b", 1, None), Some(2));
        assert_eq!(roster.entry_index("dir/a.ttlog", 1, None), None);
        let warnings = roster.unmatched_warnings(&[true, true, true, false]);
        assert_eq!(
            warnings,
            ["roster entry Nobody (seat 3, log \"zzz\") matches no seat"]
        );
        let none = roster.unmatched_warnings(&[false; 4]);
        assert_eq!(none.len(), 1);
        assert!(none[0].contains("matches no seat of any session"));
    }

    #[test]
    fn recordings_are_file_stems_or_rttm_ids() {
        assert_eq!(recording("a/b/c.d.ttlog"), "c.d");
        assert_eq!(recording("c"), "c");
        assert_eq!(recording("x.rttm#"), "x");
    }

    #[test]
    fn bad_rosters_are_explained() {
        assert!(Roster::parse("[[seat]]\nname = \"x\"\n")
            .unwrap_err()
            .contains("neither"));
        assert!(Roster::parse("[[seat]]\nseat = 0\nnickname = \"x\"\n")
            .unwrap_err()
            .contains("nickname"));
        assert!(Roster::parse("[[seat]\n").is_err());
    }
}
