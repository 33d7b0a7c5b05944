//! A reference annotation (RTTM and UEM, read by [`tabletalk_eval::rttm`])
//! as a session, so that it is reported like a device log.

use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};
use tabletalk_eval::rttm::{Recording, TickedRecording};

use crate::session::{SeatInfo, Session, SessionBuilder};

/// `recording`, ticked as `ticked`, as a [`Session`] (without going through
/// a log): one seat per speaker, labelled with its name, `Start`/`Stop`
/// markers at the extent and `Pause`/`Resume` around unscored gaps.
pub fn session(ticked: &TickedRecording, recording: &Recording) -> Session {
    let ms = |tick: u64| tick.saturating_mul(u64::from(ticked.tick_ms));
    let seats = recording
        .speakers
        .iter()
        .map(|s| SeatInfo::new(Some(s.clone()), InputKind::External))
        .collect();
    let mut builder = SessionBuilder::new(seats);
    builder
        .source(recording.name.clone(), 0)
        .tick_ms(ticked.tick_ms);
    builder.extent(ms(ticked.extent.0), ms(ticked.extent.1));
    let marker = |at, kind| Event::Marker { at, kind };
    let mut events = vec![marker(ms(ticked.extent.0), MarkerKind::Start)];
    for &(a, b) in &ticked.gaps {
        events.push(marker(ms(a), MarkerKind::Pause));
        events.push(marker(ms(b), MarkerKind::Resume));
    }
    events.push(marker(ms(ticked.extent.1), MarkerKind::Stop));
    for event in &events {
        builder.push(event);
    }
    for (seat, turns) in ticked.turns.iter().enumerate() {
        for &(a, b) in turns {
            builder.push_turn(seat, ms(a), ms(b), TurnEnd::Natural);
        }
    }
    if ticked.clipped_segments > 0 {
        builder.note(format!(
            "{} segments reached outside the scored extent and were clipped",
            ticked.clipped_segments
        ));
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tabletalk_eval::rttm::{group_recordings, parse_rttm, parse_uem};

    #[test]
    fn speakers_become_seats_and_gaps_pauses() {
        // B's two segments merge; A's 2.5–3.5 s loses the gap 3.0–3.2 s.
        let text = "SPEAKER r 1 0.5 1.5 <NA> <NA> B <NA> <NA>\n\
                    SPEAKER r 1 2.0 1.0 <NA> <NA> B <NA> <NA>\n\
                    SPEAKER r 1 2.5 1.0 <NA> <NA> A <NA> <NA>\n\
                    SPEAKER r 1 9.0 2.0 <NA> <NA> A <NA> <NA>\n";
        let uem = parse_uem("r 1 0 3.0\nr 1 3.2 10.0\n").unwrap();
        let recording = &group_recordings(&parse_rttm(text).unwrap(), &uem)[0];
        let session = session(&recording.ticked(1), recording);
        assert_eq!(session.seats[0].label.as_deref(), Some("A"));
        assert_eq!(session.paused(), [(3000, 3200)]);
        assert_eq!(session.turns.len(), 4);
        assert_eq!((session.start_ms, session.end_ms), (0, 10000));
    }
}
