//! Turns: per-seat activity becomes speaking turns, floor changes and live
//! figures.
//!
//! * [`event`] — the vocabulary shared by the device and the host:
//!   [`Event::TurnStarted`], [`Event::TurnEnded`] (with start, end and why),
//!   [`Event::Marker`], [`Event::Condition`]. The log writer consumes these.
//! * [`edge`] — what the input and activity layers produce: per-source
//!   rise/fall edges, conditions and session controls, back-dated to when
//!   they happened.
//! * [`tracker`] — [`TurnTracker`]: sessions, per-seat turns (never
//!   overlapping within a seat), the maximum-turn cut, conditions; events in
//!   time order.
//! * [`floor`] — [`FloorTracker`]: who holds the floor, transitions,
//!   successful and unsuccessful interruptions, backchannels. Independent of
//!   detection, so the host report can replay logged turns through it.
//! * [`live`] — [`LiveFigures`]: speaking time, turns, shares and a Q16
//!   balance figure (1 − normalised Gini), O(seats) per update.

pub mod edge;
pub mod event;
pub mod floor;
pub mod live;
pub mod tracker;

pub use event::{Condition, Event, MarkerKind, TurnEnd};
pub use floor::{FloorEvent, FloorTracker, Take};
pub use live::{LiveFigures, LiveSeatFigures, Q16_ONE};
pub use tracker::{SessionPhase, TurnTracker};
