//! `tabletalk device live`: the running meeting, from the device's live
//! stream — per-seat speaking time, turns, a share bar against the fair
//! share, and who holds the floor.
//!
//! [`LiveBoard`] folds updates into figures; it repairs what lost frames
//! break using the heartbeat's set of speaking seats, and counts the losses.
//! Rendering is a pure function of the board, so it is tested as text.

use tabletalk_core::protocol::{LiveUpdate, SessionId};
use tabletalk_core::seat::MAX_SEATS;
use tabletalk_core::turns::{Event, MarkerKind};

use super::client::LiveFrame;
use super::naming::clock_duration;

/// One seat's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeatFigures {
    /// Speaking time of finished turns (ms).
    pub spoken_ms: u64,
    /// Finished turns.
    pub turns: u32,
    /// Start of the running turn, if the seat is speaking.
    pub speaking_since: Option<u64>,
    /// The seat appeared in the stream (or the configuration).
    pub present: bool,
}

/// The live state of a meeting.
#[derive(Clone, Debug, Default)]
pub struct LiveBoard {
    /// Per seat.
    pub seats: [SeatFigures; MAX_SEATS],
    /// Session time of the latest update.
    pub now: u64,
    /// The session being recorded, from the latest heartbeat.
    pub session: Option<SessionId>,
    /// Live frames lost on the way (sequence gaps).
    pub lost_frames: u64,
    /// The seat that held the floor last.
    pub floor: Option<usize>,
    last_seq: Option<u32>,
}

impl LiveBoard {
    /// A board showing `seats` (from the device configuration) even before
    /// they speak.
    pub fn with_seats(seats: impl IntoIterator<Item = usize>) -> Self {
        let mut board = LiveBoard::default();
        for seat in seats {
            if let Some(figures) = board.seats.get_mut(seat) {
                figures.present = true;
            }
        }
        board
    }

    /// Folds in one live frame.
    pub fn apply(&mut self, frame: &LiveFrame) {
        if let Some(last) = self.last_seq {
            let gap = frame.seq.wrapping_sub(last).wrapping_sub(1);
            if gap < u32::MAX / 2 {
                self.lost_frames += u64::from(gap);
            }
        }
        self.last_seq = Some(frame.seq);
        match frame.update {
            LiveUpdate::Event(event) => self.apply_event(event),
            LiveUpdate::Tick {
                session,
                now,
                speaking,
            } => {
                if session != self.session && session.is_some() && self.session.is_some() {
                    self.reset_figures(); // a new session began while frames were lost
                }
                self.session = session;
                self.now = self.now.max(now);
                self.reconcile(speaking);
            }
        }
    }

    fn apply_event(&mut self, event: Event) {
        match event {
            Event::TurnStarted { seat, at } => {
                self.now = self.now.max(at);
                if let Some(figures) = self.seats.get_mut(seat.index()) {
                    figures.present = true;
                    figures.speaking_since.get_or_insert(at);
                }
                self.update_floor();
            }
            Event::TurnEnded {
                seat, start, end, ..
            } => {
                self.now = self.now.max(end);
                if let Some(figures) = self.seats.get_mut(seat.index()) {
                    figures.present = true;
                    figures.spoken_ms += end.saturating_sub(start);
                    figures.turns += 1;
                    figures.speaking_since = None;
                }
                self.update_floor();
            }
            Event::Marker { at, kind } => {
                if kind == MarkerKind::Start {
                    self.reset_figures();
                    self.now = at;
                } else {
                    self.now = self.now.max(at);
                }
            }
            Event::Condition { .. } => {}
        }
    }

    fn reset_figures(&mut self) {
        for figures in &mut self.seats {
            *figures = SeatFigures {
                present: figures.present,
                ..SeatFigures::default()
            };
        }
        self.floor = None;
        self.now = 0;
    }

    /// Trusts the heartbeat's speaking set over events we may have missed:
    /// a turn whose end was lost is closed now, one whose start was lost is
    /// opened now.
    fn reconcile(&mut self, speaking: u16) {
        let now = self.now;
        for (index, figures) in self.seats.iter_mut().enumerate() {
            let is_speaking = speaking & (1 << index) != 0;
            match (figures.speaking_since, is_speaking) {
                (Some(since), false) => {
                    figures.spoken_ms += now.saturating_sub(since);
                    figures.turns += 1;
                    figures.speaking_since = None;
                }
                (None, true) => {
                    figures.present = true;
                    figures.speaking_since = Some(now);
                }
                _ => {}
            }
        }
        self.update_floor();
    }

    /// The floor goes to whoever has been speaking longest; in silence it
    /// stays with the last holder.
    fn update_floor(&mut self) {
        let holder = self
            .seats
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.speaking_since.map(|since| (since, i)))
            .min();
        if let Some((_, seat)) = holder {
            self.floor = Some(seat);
        }
    }

    /// A seat's speaking time including its running turn.
    pub fn speaking_ms(&self, seat: usize) -> u64 {
        self.seats.get(seat).map_or(0, |f| {
            f.spoken_ms + f.speaking_since.map_or(0, |s| self.now.saturating_sub(s))
        })
    }

    /// The board as lines of text, bars `width` characters wide.
    pub fn render(&self, width: usize) -> Vec<String> {
        let present: Vec<usize> = (0..MAX_SEATS)
            .filter(|&i| self.seats.get(i).is_some_and(|f| f.present))
            .collect();
        let total: u64 = present.iter().map(|&i| self.speaking_ms(i)).sum();
        let fair_cell = if present.is_empty() {
            None
        } else {
            Some(width / present.len())
        };
        let mut lines = vec![format!(
            "{}  meeting time {}  ·  spoken {}{}",
            match self.session {
                Some(id) => format!("session {}", id.0),
                None => "not recording".to_owned(),
            },
            clock_duration(self.now),
            clock_duration(total),
            if self.lost_frames > 0 {
                format!("  ·  {} update(s) lost", self.lost_frames)
            } else {
                String::new()
            }
        )];
        lines.push(format!(
            "seat  {:>8}  {:>5}  {:>5}  share (| = fair share)",
            "time", "turns", "%"
        ));
        for &seat in &present {
            let figures = self.seats[seat];
            let ms = self.speaking_ms(seat);
            let share = if total == 0 {
                0.0
            } else {
                ms as f64 / total as f64
            };
            let filled = ((share * width as f64).round() as usize).min(width);
            let mut bar: Vec<char> = (0..width)
                .map(|i| if i < filled { '█' } else { '·' })
                .collect();
            if let Some(cell) = fair_cell.filter(|&c| c > 0 && c < width) {
                bar[cell] = '|';
            }
            let marker = match (figures.speaking_since.is_some(), self.floor == Some(seat)) {
                (true, true) => "  ◀ speaking, has the floor",
                (true, false) => "  ◀ speaking",
                (false, true) => "  (had the floor last)",
                (false, false) => "",
            };
            lines.push(format!(
                "{:>4}  {:>8}  {:>5}  {:>4.0}%  {}{}",
                seat,
                clock_duration(ms),
                figures.turns + u32::from(figures.speaking_since.is_some()),
                share * 100.0,
                bar.into_iter().collect::<String>(),
                marker
            ));
        }
        if present.is_empty() {
            lines.push("(no seat has spoken yet)".to_owned());
        }
        lines
    }

    /// One line describing an event, for output that is not a terminal.
    pub fn describe(frame: &LiveFrame) -> Option<String> {
        match frame.update {
            LiveUpdate::Event(Event::TurnStarted { seat, at }) => Some(format!(
                "{} seat {} starts speaking",
                clock_duration(at),
                seat.index()
            )),
            LiveUpdate::Event(Event::TurnEnded {
                seat,
                start,
                end,
                how,
            }) => Some(format!(
                "{} seat {} stops after {:.1} s ({how:?})",
                clock_duration(end),
                seat.index(),
                end.saturating_sub(start) as f64 / 1000.0
            )),
            LiveUpdate::Event(Event::Marker { at, kind }) => {
                Some(format!("{} marker: {kind:?}", clock_duration(at)))
            }
            LiveUpdate::Event(Event::Condition { seat, at, what }) => Some(format!(
                "{} seat {}: {what:?}",
                clock_duration(at),
                seat.index()
            )),
            LiveUpdate::Tick { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tabletalk_core::seat::SeatId;
    use tabletalk_core::turns::TurnEnd;

    fn seat(i: u8) -> SeatId {
        SeatId::new(i).unwrap()
    }

    fn frames(updates: &[LiveUpdate]) -> Vec<LiveFrame> {
        updates
            .iter()
            .enumerate()
            .map(|(i, &update)| LiveFrame {
                seq: i as u32,
                update,
            })
            .collect()
    }

    #[test]
    fn figures_floor_and_render() {
        let mut board = LiveBoard::with_seats([0, 1, 2]);
        for frame in frames(&[
            LiveUpdate::Event(Event::TurnStarted {
                seat: seat(0),
                at: 0,
            }),
            LiveUpdate::Event(Event::TurnEnded {
                seat: seat(0),
                start: 0,
                end: 30_000,
                how: TurnEnd::Natural,
            }),
            LiveUpdate::Event(Event::TurnStarted {
                seat: seat(1),
                at: 31_000,
            }),
            LiveUpdate::Tick {
                session: Some(SessionId(4)),
                now: 41_000,
                speaking: 0b010,
            },
        ]) {
            board.apply(&frame);
        }
        assert_eq!(board.speaking_ms(0), 30_000);
        assert_eq!(board.speaking_ms(1), 10_000);
        assert_eq!(board.floor, Some(1));
        let text = board.render(20).join("\n");
        assert!(text.contains("session 4"), "{text}");
        assert!(text.contains("   75%"), "{text}");
        assert!(text.contains("◀ speaking, has the floor"), "{text}");
        // Seat 2 never spoke but is configured: shown with 0 %.
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("2      0:00")),
            "{text}"
        );
    }

    #[test]
    fn lost_frames_are_counted_and_repaired_by_the_heartbeat() {
        let mut board = LiveBoard::default();
        board.apply(&LiveFrame {
            seq: 0,
            update: LiveUpdate::Event(Event::TurnStarted {
                seat: seat(3),
                at: 1_000,
            }),
        });
        // Frames 1..=2 (the end of seat 3's turn, the start of seat 5's) are lost.
        board.apply(&LiveFrame {
            seq: 3,
            update: LiveUpdate::Tick {
                session: Some(SessionId(1)),
                now: 9_000,
                speaking: 1 << 5,
            },
        });
        assert_eq!(board.lost_frames, 2);
        assert_eq!(board.seats[3].turns, 1);
        assert_eq!(board.seats[3].speaking_since, None);
        assert_eq!(board.seats[5].speaking_since, Some(9_000));
        assert_eq!(board.floor, Some(5));
    }

    #[test]
    fn a_start_marker_resets_figures() {
        let mut board = LiveBoard::default();
        for frame in frames(&[
            LiveUpdate::Event(Event::TurnEnded {
                seat: seat(0),
                start: 0,
                end: 5_000,
                how: TurnEnd::Natural,
            }),
            LiveUpdate::Event(Event::Marker {
                at: 0,
                kind: MarkerKind::Start,
            }),
        ]) {
            board.apply(&frame);
        }
        assert_eq!(board.speaking_ms(0), 0);
        assert!(board.seats[0].present);
    }
}
