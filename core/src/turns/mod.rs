//! Turns: per-seat activity becomes speaking turns, floor changes and live
//! figures.

pub mod event;

pub use event::{Condition, Event, MarkerKind, TurnEnd};
