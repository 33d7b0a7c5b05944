//! People, not seats: the same person across the sessions of a report,
//! whichever seat they took. A person is known by their roster name, else
//! their seat's label (a speaker id imported from RTTM), else `seat N`.
//!
//! [`people`] is the JSON report's `people` list (roster names only);
//! [`voices`] follows every person across a series: their first meetings
//! against later ones, and how often they were under half a fair share.
//! Definitions in `docs/metrics.md` ("People across sessions").

use serde::Serialize;

use super::{SeatFigures, SessionFigures};
use crate::roster::Roster;

/// The name a person reads for a seat: roster name, else label, else
/// `seat N`. It is also the key that follows a person across sessions.
pub fn identity(seat: &SeatFigures) -> String {
    seat.name
        .clone()
        .or_else(|| seat.label.clone().filter(|l| !l.is_empty()))
        .unwrap_or_else(|| format!("seat {}", seat.seat))
}

/// Every person of `sessions`, in order of first appearance.
pub fn identities(sessions: &[SessionFigures]) -> Vec<String> {
    attendance(sessions)
        .into_iter()
        .map(|(who, _)| who)
        .collect()
}

/// One person and their seats: `(session index, seat)` in report order.
pub type Attendance<'a> = (String, Vec<(usize, &'a SeatFigures)>);

/// Where each person sat: `(person, [(session index, seat)])`, people in
/// order of first appearance, sessions in report order. One pass over the
/// seats, so a series of any length costs time in proportion to it.
pub fn attendance(sessions: &[SessionFigures]) -> Vec<Attendance<'_>> {
    let mut index = std::collections::HashMap::new();
    let mut people: Vec<Attendance<'_>> = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        for seat in &s.seats {
            let who = identity(seat);
            let k = *index.entry(who.clone()).or_insert_with(|| {
                people.push((who, Vec::new()));
                people.len() - 1
            });
            if let Some((_, seats)) = people.get_mut(k) {
                seats.push((i, seat));
            }
        }
    }
    people
}

/// One roster name across the report: `people[i]` of the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Person {
    /// The roster name.
    pub name: String,
    /// From the roster (the first entry of this name that says).
    pub organisation: Option<String>,
    /// From the roster.
    pub sector: Option<String>,
    /// From the roster.
    pub role: Option<String>,
    /// Each session the person sat in, in report order.
    pub sessions: Vec<PersonSession>,
}

/// One person in one session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PersonSession {
    /// The session's `source`.
    pub source: String,
    /// The session's `session`.
    pub session: usize,
    /// The seat they took.
    pub seat: usize,
    /// Their speaking time (ms).
    pub speaking_ms: u64,
    /// Their share of the speaking, 0–1.
    pub share: f64,
    /// Their turns.
    pub turns: u32,
}

/// The `people` list: one entry per distinct roster name, in roster order.
pub fn people(roster: &Roster, sessions: &[SessionFigures]) -> Vec<Person> {
    let mut list: Vec<Person> = Vec::new();
    for entry in &roster.entries {
        let Some(name) = &entry.name else { continue };
        match list.iter_mut().find(|p| &p.name == name) {
            Some(person) => {
                person.organisation = person.organisation.take().or(entry.organisation.clone());
                person.sector = person.sector.take().or(entry.sector.clone());
                person.role = person.role.take().or(entry.role.clone());
            }
            None => list.push(Person {
                name: name.clone(),
                organisation: entry.organisation.clone(),
                sector: entry.sector.clone(),
                role: entry.role.clone(),
                sessions: Vec::new(),
            }),
        }
    }
    for s in sessions {
        for seat in &s.seats {
            let Some(person) = seat
                .name
                .as_ref()
                .and_then(|name| list.iter_mut().find(|p| &p.name == name))
            else {
                continue;
            };
            person.sessions.push(PersonSession {
                source: s.source.clone(),
                session: s.session,
                seat: seat.seat,
                speaking_ms: seat.speaking_ms,
                share: seat.share,
                turns: seat.turns,
            });
        }
    }
    list
}

/// A person's figures over some of their meetings (means over meetings).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Period {
    /// Meetings in the period.
    pub meetings: usize,
    /// Mean share of the speaking.
    pub share: f64,
    /// Mean of share ÷ fair share (1 = a fair share; seat counts differ
    /// between meetings, so this compares better than the share).
    pub share_of_fair: f64,
    /// Mean turns per meeting.
    pub turns: f64,
}

/// One person across a series: `series.people[i]` of the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Voice {
    /// [`identity`] of their seats.
    pub name: String,
    /// Meetings they sat in.
    pub meetings: usize,
    /// Of those, meetings where their share was under half a fair share
    /// (silent ones included).
    pub below_half_fair: usize,
    /// `below_half_fair > meetings / 2`: a quiet voice.
    pub mostly_below_half_fair: bool,
    /// Their first ⌊m/2⌋ meetings (the first one when m = 1).
    pub first: Period,
    /// Their later meetings; null with one meeting.
    pub later: Option<Period>,
}

/// Every person across `sessions`, in order of first appearance.
pub fn voices(sessions: &[SessionFigures]) -> Vec<Voice> {
    let seats_in = |i: usize| sessions.get(i).map_or(1, |s| s.seats.len());
    attendance(sessions)
        .into_iter()
        .map(|(name, seats)| {
            let attended: Vec<(&SeatFigures, usize)> =
                seats.iter().map(|&(i, seat)| (seat, seats_in(i))).collect();
            let meetings = attended.len();
            let below_half_fair = attended
                .iter()
                .filter(|(seat, n)| seat.share * (*n as f64) < 0.5)
                .count();
            let split = (meetings / 2).max(1).min(meetings);
            let (first, later) = attended.split_at(split);
            Voice {
                name,
                meetings,
                below_half_fair,
                mostly_below_half_fair: 2 * below_half_fair > meetings,
                first: period(first),
                later: (!later.is_empty()).then(|| period(later)),
            }
        })
        .collect()
}

fn period(meetings: &[(&SeatFigures, usize)]) -> Period {
    let n = meetings.len().max(1) as f64;
    let mean = |f: &dyn Fn(&(&SeatFigures, usize)) -> f64| meetings.iter().map(f).sum::<f64>() / n;
    Period {
        meetings: meetings.len(),
        share: mean(&|(seat, _)| seat.share),
        share_of_fair: mean(&|(seat, seats)| seat.share * *seats as f64),
        turns: mean(&|(seat, _)| f64::from(seat.turns)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A session of `source` with `(label, share, turns)` per seat, for the
    /// series tests here and in `metrics::trend`.
    pub(crate) fn session(source: &str, seats: &[(&str, f64, u32)]) -> SessionFigures {
        let mut s = SessionFigures::empty();
        s.source = source.to_owned();
        s.seats = seats
            .iter()
            .enumerate()
            .map(|(seat, &(label, share, turns))| SeatFigures {
                seat,
                label: Some(label.to_owned()),
                share,
                turns,
                ..SeatFigures::default()
            })
            .collect();
        s
    }

    /// The newcomer story of the reports issue: 3 % → 19 % → 18 % → 19 %
    /// at a table of four (fair share 25 %), changing seats.
    #[test]
    fn a_newcomer_finds_their_voice() {
        let sessions = [
            session(
                "a",
                &[
                    ("N", 0.03, 1),
                    ("X", 0.97, 20),
                    ("Y", 0.0, 0),
                    ("Z", 0.0, 0),
                ],
            ),
            session(
                "b",
                &[
                    ("X", 0.81, 10),
                    ("N", 0.19, 5),
                    ("Y", 0.0, 0),
                    ("Z", 0.0, 0),
                ],
            ),
            session(
                "c",
                &[
                    ("X", 0.82, 10),
                    ("Y", 0.0, 0),
                    ("N", 0.18, 7),
                    ("Z", 0.0, 0),
                ],
            ),
            session(
                "d",
                &[
                    ("X", 0.81, 10),
                    ("Y", 0.0, 0),
                    ("Z", 0.0, 0),
                    ("N", 0.19, 9),
                ],
            ),
        ];
        let voices = voices(&sessions);
        assert_eq!(
            voices.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            ["N", "X", "Y", "Z"]
        );
        let n = &voices[0];
        // Under half a fair share means under 12.5 %: only the first meeting.
        assert_eq!(
            (n.meetings, n.below_half_fair, n.mostly_below_half_fair),
            (4, 1, false)
        );
        assert_eq!(n.first.meetings, 2);
        assert!((n.first.share - 0.11).abs() < 1e-12);
        assert!((n.first.share_of_fair - 0.44).abs() < 1e-12);
        assert!((n.first.turns - 3.0).abs() < 1e-12);
        let later = n.later.as_ref().unwrap();
        assert_eq!(later.meetings, 2);
        assert!((later.share - 0.185).abs() < 1e-12);
        assert!((later.turns - 8.0).abs() < 1e-12);
        let y = &voices[2];
        assert_eq!((y.below_half_fair, y.mostly_below_half_fair), (4, true));
        assert!(!voices[1].mostly_below_half_fair);
    }

    #[test]
    fn one_meeting_has_no_later_period() {
        let v = voices(&[session("a", &[("A", 0.1, 1), ("B", 0.9, 1)])]);
        assert_eq!((v[0].meetings, v[0].first.meetings), (1, 1));
        assert!(v[0].later.is_none() && v[0].mostly_below_half_fair);
        // Exactly half a fair share is not under it.
        let v = voices(&[session("a", &[("A", 0.25, 1), ("B", 0.75, 1)])]);
        assert_eq!(v[0].below_half_fair, 0);
    }

    #[test]
    fn the_people_list_follows_roster_names_across_seats() {
        let roster = Roster::parse(
            "[[seat]]\nseat = 0\nname = \"Ana\"\n\
             [[seat]]\nlog = \"b\"\nseat = 1\nname = \"Ana\"\norganisation = \"Trust\"\n\
             [[seat]]\nseat = 5\nname = \"Absent\"\n",
        )
        .unwrap();
        let mut a = session("a", &[("s0", 0.6, 3), ("s1", 0.4, 2)]);
        let mut b = session("b", &[("s0", 0.3, 1), ("s1", 0.7, 4)]);
        a.seats[0].name = Some("Ana".into());
        b.seats[1].name = Some("Ana".into());
        b.session = 2;
        let list = people(&roster, &[a, b]);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].organisation.as_deref(), Some("Trust"));
        let seats: Vec<(&str, usize, usize, u32)> = list[0]
            .sessions
            .iter()
            .map(|p| (p.source.as_str(), p.session, p.seat, p.turns))
            .collect();
        assert_eq!(seats, [("a", 0, 0, 3), ("b", 2, 1, 4)]);
        assert!(list[1].sessions.is_empty());
        let json = serde_json::to_value(&list[0]).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 5);
        let session_keys: Vec<String> = json["sessions"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut want = ["source", "session", "seat", "speaking_ms", "share", "turns"];
        want.sort_unstable();
        let mut got = session_keys;
        got.sort_unstable();
        assert_eq!(got, want);
    }
}
