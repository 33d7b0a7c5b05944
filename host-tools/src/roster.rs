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
//! ```
//!
//! Every field but the seat selector is optional. `organization` is
//! accepted for `organisation`.

use std::path::Path;

use serde::Deserialize;

use crate::session::Session;

/// One person at one seat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterEntry {
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

    /// The entry for seat `index` of `session`: a label match wins over an
    /// index match.
    pub fn entry(&self, session: &Session, index: usize) -> Option<&RosterEntry> {
        let label = session.seats.get(index).and_then(|s| s.label.as_deref());
        label
            .and_then(|label| {
                self.entries
                    .iter()
                    .find(|e| e.label.as_deref() == Some(label))
            })
            .or_else(|| self.entry_by_index(index))
    }

    /// The entry for seat `index` by its index alone (`seat = N`, no
    /// label): a live device's seats have no labels.
    pub fn entry_by_index(&self, index: usize) -> Option<&RosterEntry> {
        self.entries
            .iter()
            .find(|e| e.label.is_none() && e.seat == Some(index))
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
