//! `tabletalk device live`: the running meeting, from the device's live
//! stream — per-seat speaking time, turns, a share bar against the fair
//! share, and who holds the floor.
//!
//! [`LiveBoard`] folds updates into figures; it repairs what lost frames
//! break using the heartbeat's set of speaking seats, and counts the losses.
//! Rendering is a pure function of the board, so it is tested as text.

use tabletalk_core::params::DetectionParams;
use tabletalk_core::protocol::{DeviceConfig, LiveUpdate, StoredSessionId};
use tabletalk_core::seat::{SeatId, MAX_SEATS};
use tabletalk_core::turns::floor::FloorTracker;
use tabletalk_core::turns::live::{LiveFigures, Q16_ONE};
use tabletalk_core::turns::{Event, MarkerKind};

use super::client::LiveFrame;
use super::naming::clock_duration;

/// One seat as the board shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SeatView {
    /// Seat index.
    pub seat: usize,
    /// Speaking time so far, the running turn included (ms).
    pub speaking_ms: u64,
    /// Share of all speaking time, 0–1 (the core's Q16 figure).
    pub share: f64,
    /// Share against a fair share: 1 = exactly fair (what the seat's LED
    /// shows; the core's Q16 figure).
    pub share_of_fair: f64,
    /// Turns, the running one included.
    pub turns: u32,
    /// Speaking now.
    pub speaking: bool,
    /// Time since the seat last stopped speaking (ms): 0 while it speaks,
    /// `None` before its first turn.
    pub since_last_spoke_ms: Option<u64>,
    /// Holds the floor now.
    pub holds_floor: bool,
    /// Times it took the floor.
    pub floor_takes: u32,
    /// Successful interruptions it made.
    pub interruptions: u32,
    /// Times it lost the floor to an interruption.
    pub interrupted: u32,
    /// Unsuccessful interruptions it made.
    pub failed_interruptions: u32,
    /// Backchannels it gave.
    pub backchannels: u32,
}

/// The live state of a meeting: the core's own live figures and floor
/// tracker, fed with the device's live events, so every number is the one
/// the device computes for its LEDs.
#[derive(Clone, Debug)]
pub struct LiveBoard {
    live: LiveFigures<MAX_SEATS>,
    floor: FloorTracker<MAX_SEATS>,
    present: [bool; MAX_SEATS],
    last_spoke: [Option<u64>; MAX_SEATS],
    /// The seat that held the floor last (it may be free now).
    last_holder: Option<SeatId>,
    /// The session being recorded, from the latest heartbeat.
    pub session: Option<StoredSessionId>,
    /// Live frames lost on the way (sequence gaps).
    pub lost_frames: u64,
    last_seq: Option<u32>,
}

impl Default for LiveBoard {
    /// A board without a configuration: every seat counts in the shares.
    fn default() -> Self {
        LiveBoard::new(
            0..MAX_SEATS,
            DetectionParams::default().turns.backchannel_max_ms,
        )
    }
}

impl LiveBoard {
    /// A board for the device configured with `config`: its seats shown
    /// before they speak, its backchannel limit. Shares count seats 0 up
    /// to the highest configured one, as the device's engine does.
    pub fn for_config(config: &DeviceConfig) -> Self {
        LiveBoard::new(
            config.seats.iter().map(|s| s.seat.index()),
            config.params.turns.backchannel_max_ms,
        )
    }

    /// A board showing `seats` (with the default backchannel limit).
    pub fn with_seats(seats: impl IntoIterator<Item = usize>) -> Self {
        LiveBoard::new(seats, DetectionParams::default().turns.backchannel_max_ms)
    }

    fn new(seats: impl IntoIterator<Item = usize>, backchannel_max_ms: u32) -> Self {
        let mut present = [false; MAX_SEATS];
        for seat in seats {
            if let Some(slot) = present.get_mut(seat) {
                *slot = true;
            }
        }
        let counted = present.iter().rposition(|&p| p).map_or(0, |i| i + 1);
        LiveBoard {
            live: LiveFigures::new(counted),
            floor: FloorTracker::new(backchannel_max_ms),
            present,
            last_spoke: [None; MAX_SEATS],
            last_holder: None,
            session: None,
            lost_frames: 0,
            last_seq: None,
        }
    }

    /// Session time of the latest update.
    pub fn now(&self) -> u64 {
        self.live.now()
    }

    /// The core's live figures, as the device keeps them.
    pub fn live(&self) -> &LiveFigures<MAX_SEATS> {
        &self.live
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
                self.reconcile(now, speaking);
            }
        }
    }

    fn apply_event(&mut self, event: Event) {
        match event {
            Event::TurnStarted { seat, at } => self.turn_started(seat, at),
            Event::TurnEnded {
                seat, start, end, ..
            } => {
                if !self.is_speaking(seat) {
                    self.turn_started(seat, start); // its start was lost
                }
                self.turn_ended(seat, start, end);
            }
            Event::Marker { at, kind } => {
                if kind == MarkerKind::Start {
                    self.reset_figures();
                }
                self.live.update(at);
            }
            Event::Condition { .. } => {}
        }
    }

    fn is_speaking(&self, seat: SeatId) -> bool {
        self.live
            .seat(seat)
            .is_some_and(|f| f.speaking_since.is_some())
    }

    fn turn_started(&mut self, seat: SeatId, at: u64) {
        if self.is_speaking(seat) {
            return;
        }
        if let Some(slot) = self.present.get_mut(seat.index()) {
            *slot = true;
        }
        self.live.turn_started(seat, at);
        if let Some(event) = self.floor.start(seat, at) {
            self.live.count_floor(event);
        }
        self.after_floor_change(at);
    }

    fn turn_ended(&mut self, seat: SeatId, start: u64, end: u64) {
        self.live.turn_ended(seat, start, end);
        for event in self.floor.end(seat, start, end) {
            self.live.count_floor(event);
        }
        if let Some(slot) = self.last_spoke.get_mut(seat.index()) {
            *slot = Some(end);
        }
        self.after_floor_change(end);
    }

    fn after_floor_change(&mut self, at: u64) {
        if let Some(holder) = self.floor.holder() {
            self.last_holder = Some(holder);
        }
        self.live.update(at);
    }

    fn reset_figures(&mut self) {
        self.live.reset();
        self.floor.reset();
        self.last_spoke = [None; MAX_SEATS];
        self.last_holder = None;
    }

    /// Trusts the heartbeat's speaking set over events we may have missed:
    /// a turn whose end was lost is closed now, one whose start was lost is
    /// opened now.
    fn reconcile(&mut self, now: u64, speaking: u16) {
        let now = now.max(self.live.now());
        for index in 0..MAX_SEATS {
            let Some(seat) = u8::try_from(index).ok().and_then(SeatId::new) else {
                continue;
            };
            let since = self.live.seat(seat).and_then(|f| f.speaking_since);
            match (since, speaking & (1 << index) != 0) {
                (Some(since), false) => self.turn_ended(seat, since, now),
                (None, true) => self.turn_started(seat, now),
                _ => {}
            }
        }
        self.live.update(now);
    }

    /// A seat's speaking time including its running turn.
    pub fn speaking_ms(&self, seat: usize) -> u64 {
        seat_id(seat).map_or(0, |s| self.live.speaking_ms(s))
    }

    /// The seat holding the floor now, or else the one that held it last.
    pub fn floor(&self) -> Option<usize> {
        self.last_holder.map(SeatId::index)
    }

    /// The seats shown (configured or heard from), in seat order.
    pub fn seats(&self) -> Vec<SeatView> {
        let now = self.live.now();
        let holder = self.floor.holder();
        (0..MAX_SEATS)
            .filter(|&i| self.present.get(i).copied().unwrap_or(false))
            .filter_map(|i| seat_id(i).map(|s| (i, s)))
            .map(|(i, seat)| {
                let f = self.live.seat(seat).copied().unwrap_or_default();
                let q16 = |x: u32| f64::from(x) / f64::from(Q16_ONE);
                SeatView {
                    seat: i,
                    speaking_ms: self.live.speaking_ms(seat),
                    share: q16(self.live.share_q16(seat)),
                    share_of_fair: q16(self.live.share_of_fair_q16(seat)),
                    turns: f.turns,
                    speaking: f.speaking_since.is_some(),
                    since_last_spoke_ms: if f.speaking_since.is_some() {
                        Some(0)
                    } else {
                        self.last_spoke
                            .get(i)
                            .copied()
                            .flatten()
                            .map(|end| now.saturating_sub(end))
                    },
                    holds_floor: holder == Some(seat),
                    floor_takes: f.floor_takes,
                    interruptions: f.interruptions,
                    interrupted: f.interrupted,
                    failed_interruptions: f.failed_interruptions,
                    backchannels: f.backchannels,
                }
            })
            .collect()
    }

    /// The board as lines of text, bars `width` characters wide.
    pub fn render(&self, width: usize) -> Vec<String> {
        let seats = self.seats();
        let total: u64 = seats.iter().map(|s| s.speaking_ms).sum();
        let fair_cell = if seats.is_empty() {
            None
        } else {
            Some(width / seats.len())
        };
        let mut lines = vec![format!(
            "{}  meeting time {}  ·  spoken {}{}",
            match self.session {
                Some(id) => format!("session {}", id.0),
                None => "not recording".to_owned(),
            },
            clock_duration(self.now()),
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
        for view in &seats {
            let filled = ((view.share * width as f64).round() as usize).min(width);
            let mut bar: Vec<char> = (0..width)
                .map(|i| if i < filled { '█' } else { '·' })
                .collect();
            if let Some(cell) = fair_cell.filter(|&c| c > 0 && c < width) {
                bar[cell] = '|';
            }
            let last = self.floor() == Some(view.seat);
            let marker = match (view.speaking, view.holds_floor, last) {
                (true, true, _) => "  ◀ speaking, has the floor",
                (true, false, _) => "  ◀ speaking",
                (false, _, true) => "  (had the floor last)",
                (false, _, false) => "",
            };
            lines.push(format!(
                "{:>4}  {:>8}  {:>5}  {:>4.0}%  {}{}",
                view.seat,
                clock_duration(view.speaking_ms),
                view.turns,
                view.share * 100.0,
                bar.into_iter().collect::<String>(),
                marker
            ));
        }
        if seats.is_empty() {
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

fn seat_id(index: usize) -> Option<SeatId> {
    u8::try_from(index).ok().and_then(SeatId::new)
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
                session: Some(StoredSessionId(4)),
                now: 41_000,
                speaking: 0b010,
            },
        ]) {
            board.apply(&frame);
        }
        assert_eq!(board.speaking_ms(0), 30_000);
        assert_eq!(board.speaking_ms(1), 10_000);
        assert_eq!(board.floor(), Some(1));
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
                session: Some(StoredSessionId(1)),
                now: 9_000,
                speaking: 1 << 5,
            },
        });
        assert_eq!(board.lost_frames, 2);
        let seats = board.seats();
        let view = |i| seats.iter().find(|s| s.seat == i).copied().unwrap();
        assert_eq!(
            (view(3).turns, view(3).speaking, view(3).speaking_ms),
            (1, false, 8_000)
        );
        assert_eq!((view(5).turns, view(5).speaking), (1, true));
        // Seat 3 stopped (at the heartbeat) just as seat 5 started: the
        // floor passed after a gap of 0.
        assert_eq!(board.floor(), Some(5));
        assert_eq!(view(5).floor_takes, 1);
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
        assert_eq!(board.seats()[0].seat, 0);
    }
}
