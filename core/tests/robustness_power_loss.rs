//! Power loss while recording real meetings, on the device's own storage
//! code: the engine's events go through the firmware's recorder
//! (`tabletalk_core::recorder`: log writer into the flash session store,
//! one append per writer call, the end and store notices as final appends;
//! erasing ahead after each session), on a NOR flash in RAM with the RP2040's geometry
//! (4 KiB sectors, byte writes) that loses power after any number of
//! programmed bytes or erase steps.
//!
//! For every cut point: remount; the store reports no corruption; every
//! session and every frame committed before the cut reads back byte for
//! byte and decodes without a damaged frame; the frame being written is
//! whole or absent; recording continues after the remount.
//!
//! Debug builds (`cargo test`) cut at every point of one representative
//! session (a 25-minute, 6-seat meeting, about 500 turns) and sample the
//! others; release builds (`scripts/test.d/85-robustness.sh`) cut at every
//! point of every scenario, in both cut styles.
#![cfg(feature = "store")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod robustness_support;

use robustness_support::Device;
use tabletalk_core::log::{
    Item, LogReader, SessionItem, SessionReader, MAX_SMALL_FRAME_LEN, MAX_WRITE_LEN,
};
use tabletalk_core::recorder::{LogSink, SessionRecorder, SinkError, Stored};
use tabletalk_core::records::{Header, Record, Seats, SessionId as LogSessionId, StoreEvent};
use tabletalk_core::seat::InputKind;
use tabletalk_core::store::{
    CutStyle, FullPolicy, RamFlash, RamFlashError, SessionStore, StoreError, StoredSessionId,
    StoredSessionState,
};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::{Event, MarkerKind};

const RELEASE: bool = !cfg!(debug_assertions);

/// RP2040 geometry: 4 KiB sectors, byte writes; 16 sectors.
type Flash = RamFlash<{ 16 * 4096 }>;
/// A small region that fills up: 5 sectors.
type Small = RamFlash<{ 5 * 4096 }>;

/// As in the firmware (firmware/src/storage.rs).
const FINAL_RESERVE: u32 = (MAX_SMALL_FRAME_LEN + 8 + MAX_WRITE_LEN + 8 + 12) as u32;
const PREPARE_AHEAD: u16 = 2;

/// One recorded session to replay: its seats and its events.
#[derive(Clone)]
struct Recording {
    kinds: Vec<InputKind>,
    events: Vec<Event>,
}

/// Meetings recorded once by the engine (6 button seats), `minutes` long.
fn recordings(minutes: &[u64]) -> Vec<Recording> {
    let mut device = Device::<8>::buttons(6, Instant(123));
    for (i, m) in minutes.iter().enumerate() {
        device.meeting(m * 60_000, 100 + i as u64);
        device.advance(10_000);
    }
    device
        .session_events
        .iter()
        .map(|events| Recording {
            kinds: device.kinds.clone(),
            events: events.clone(),
        })
        .collect()
}

/// What the test knows was committed.
#[derive(Clone, Debug, Default)]
struct Model {
    /// Per session of the workload: its store id, committed bytes, ended.
    sessions: Vec<(Option<StoredSessionId>, Vec<u8>, bool)>,
    /// The append under way when the power went: its session and bytes.
    in_flight: Option<(usize, Vec<u8>)>,
    /// Sessions the store reported dropped to make room.
    dropped: u32,
}

type Error = StoreError<RamFlashError>;

/// The firmware's recorder (the core's [`SessionRecorder`]) over the store,
/// with the test's account of what was committed.
struct Recorder<'s, F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError>> {
    store: &'s mut SessionStore<F>,
    model: &'s mut Model,
}

/// The store as the recorder's sink, noting every append in the model.
struct Committed<'r, 's, F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError>> {
    recorder: &'r mut Recorder<'s, F>,
    session: usize,
    /// Set at the first failure (the power went): later calls change nothing.
    failed: bool,
}

impl<F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError>> Committed<'_, '_, F> {
    fn note<T>(&mut self, result: Result<T, SinkError<Error>>) -> Result<T, SinkError<Error>> {
        if result.is_err() {
            self.failed = true;
        }
        result
    }
}

impl<F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError>> LogSink
    for Committed<'_, '_, F>
{
    type Error = Error;

    fn begin(&mut self, started: Option<u64>) -> Result<(u32, Option<u32>), SinkError<Error>> {
        let (id, overwritten) = LogSink::begin(self.recorder.store, started)?;
        self.recorder.model.sessions[self.session].0 = Some(StoredSessionId(id));
        Ok((id, overwritten))
    }

    fn append(&mut self, frame: &[u8], last: bool) -> Result<Option<u32>, SinkError<Error>> {
        if self.failed {
            return Err(SinkError::Refused);
        }
        let model = &mut *self.recorder.model;
        model.in_flight = Some((self.session, frame.to_vec()));
        let before = self.recorder.store.usage().overwritten;
        let result = LogSink::append(self.recorder.store, frame, last);
        let overwritten = self.note(result)?;
        let model = &mut *self.recorder.model;
        model.in_flight = None;
        model.sessions[self.session].1.extend_from_slice(frame);
        model.dropped += self.recorder.store.usage().overwritten - before;
        Ok(overwritten)
    }

    fn end(&mut self) -> Result<(), SinkError<Error>> {
        if self.failed {
            return Err(SinkError::Refused);
        }
        let result = LogSink::end(self.recorder.store);
        self.note(result)
    }

    fn resume(&mut self, id: u32) -> Result<(), SinkError<Error>> {
        LogSink::resume(self.recorder.store, id)
    }
}

impl<F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError>> Recorder<'_, F> {
    /// Records one session as the firmware does; stops at the first store
    /// error (a power cut) or when the store is full.
    fn record(&mut self, recording: &Recording, number: u32) -> Result<(), Stored> {
        let index = self.model.sessions.len();
        self.model.sessions.push((None, Vec::new(), false));
        let seats = Seats::new(&recording.kinds).unwrap();
        let mut header = Header::new(
            LogSessionId {
                number: 0,
                nonce: 0xABCD,
            },
            7,
            seats,
        );
        let mut recorder = SessionRecorder::new();
        let mut sink = Committed {
            recorder: self,
            session: index,
            failed: false,
        };
        let ok = |stored| {
            if stored == Stored::Ok {
                Ok(())
            } else {
                Err(stored)
            }
        };
        ok(recorder.begin(
            &mut sink,
            &mut header,
            Some(1_700_000_000_000 + u64::from(number)),
        ))?;
        let mut end = 0;
        for event in &recording.events {
            ok(recorder.record(&mut sink, event))?;
            if let Event::Marker {
                at,
                kind: MarkerKind::Stop,
            } = event
            {
                end = *at;
                break;
            }
        }
        ok(recorder.end(&mut sink, end))?;
        self.model.in_flight = None;
        self.model.sessions[index].2 = true;
        self.store
            .prepare(PREPARE_AHEAD)
            .map_err(|_| Stored::Failed)?;
        Ok(())
    }
}

fn mount<F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError>>(
    flash: F,
    policy: FullPolicy,
) -> (SessionStore<F>, tabletalk_core::store::MountReport) {
    let (mut store, report) = SessionStore::mount(flash, policy).expect("mount");
    store.set_final_reserve(FINAL_RESERVE);
    (store, report)
}

fn read_all<F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError>>(
    store: &mut SessionStore<F>,
    id: StoredSessionId,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = store.read(id, out.len() as u32, &mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// A stored log decodes without any damage; returns its records.
fn decode_clean(bytes: &[u8], what: &str) -> usize {
    let mut scratch = vec![0u8; bytes.len()];
    let mut records = 0;
    for item in LogReader::new(bytes, &mut scratch).unwrap() {
        match item {
            Item::Record { record, .. } => {
                records += 1;
                black_box_record(&record);
            }
            Item::Damaged(d) => panic!("{what}: a damaged frame in the stored log: {d:?}"),
        }
    }
    let mut scratch = vec![0u8; bytes.len()];
    for item in SessionReader::new(bytes, &mut scratch).unwrap() {
        if let SessionItem::Damaged(d) = item {
            panic!("{what}: {d:?}");
        }
    }
    records
}

fn black_box_record(record: &Record<'_>) {
    std::hint::black_box(record);
}

/// Checks the store after a cut against what was committed.
fn check<F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError>>(
    store: &mut SessionStore<F>,
    model: &Model,
    older: &[(StoredSessionId, Vec<u8>)],
    what: &str,
) {
    // Older sessions: gone (overwritten, oldest first) or intact.
    let listed: Vec<StoredSessionId> = store.sessions().map(|s| s.id).collect();
    let kept: Vec<&(StoredSessionId, Vec<u8>)> =
        older.iter().filter(|(id, _)| listed.contains(id)).collect();
    let n = kept.len();
    assert!(
        older[older.len() - n..]
            .iter()
            .map(|o| o.0)
            .eq(kept.iter().map(|k| k.0)),
        "{what}: older sessions not dropped oldest first"
    );
    for (id, bytes) in kept {
        assert_eq!(&read_all(store, *id), bytes, "{what}: older session {id:?}");
    }
    // The workload's sessions.
    for (i, (id, committed, ended)) in model.sessions.iter().enumerate() {
        let Some(id) = id else {
            // Cut while beginning it: nothing of it was committed.
            continue;
        };
        let Some(info) = store.session(*id).copied() else {
            assert!(
                model.dropped > 0 || i + 1 < model.sessions.len(),
                "{what}: session {id:?} lost"
            );
            continue;
        };
        let bytes = read_all(store, *id);
        match &model.in_flight {
            Some((s, frame)) if *s == i => {
                let with = [committed.as_slice(), frame].concat();
                assert!(&bytes == committed || bytes == with, "{what}: session {i}: neither before nor after the frame being written ({} vs {} bytes)", bytes.len(), committed.len());
            }
            _ => assert_eq!(&bytes, committed, "{what}: session {i}"),
        }
        if *ended {
            assert_eq!(info.state, StoredSessionState::Ended, "{what}");
        }
        decode_clean(&bytes, what);
    }
}

/// Runs `workload` on a copy of `base` with the power cut after `cut`
/// units; remounts, checks, records one more session, remounts, checks.
/// Returns whether the workload finished.
#[allow(clippy::too_many_arguments)]
fn cut_and_recover<F>(
    base: &F,
    policy: FullPolicy,
    style: CutStyle,
    cut: u64,
    workload: &[Recording],
    after: &Recording,
    older: &[(StoredSessionId, Vec<u8>)],
) -> bool
where
    F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError> + Clone + Cuttable,
{
    let what = format!("cut after {cut} units ({style:?})");
    let mut flash = base.clone();
    flash.arm(cut, style);
    let (mut store, _) = mount(flash, policy);
    let mut model = Model::default();
    let mut finished = true;
    {
        let mut recorder = Recorder {
            store: &mut store,
            model: &mut model,
        };
        for (i, r) in workload.iter().enumerate() {
            if recorder.record(r, i as u32).is_err() {
                finished = false;
                break;
            }
        }
    }
    let mut flash = store.release();
    flash.restore();
    let (mut store, report) = mount(flash, policy);
    assert!(report.is_clean(), "{what}: {report:?}");
    check(&mut store, &model, older, &what);

    // Recording continues.
    let mut more = Model::default();
    {
        let mut recorder = Recorder {
            store: &mut store,
            model: &mut more,
        };
        recorder
            .record(after, 99)
            .unwrap_or_else(|e| panic!("{what}: recording after the cut: {e:?}"));
    }
    let (mut store, report) = mount(store.release(), policy);
    assert!(report.is_clean(), "{what}, second mount: {report:?}");
    let id = more.sessions[0].0.unwrap();
    assert_eq!(
        read_all(&mut store, id),
        more.sessions[0].1,
        "{what}: the session after the cut"
    );
    assert!(decode_clean(&more.sessions[0].1, &what) > 2);
    assert_eq!(
        store.release().reprogrammed(),
        0,
        "{what}: a byte was programmed twice"
    );
    finished
}

/// What the generic cut test needs from a flash.
trait Cuttable {
    fn arm(&mut self, cut: u64, style: CutStyle);
    fn restore(&mut self);
    fn units(&self) -> u64;
    fn reprogrammed(&self) -> u32;
}

impl<const S: usize, const E: usize, const W: usize> Cuttable for RamFlash<S, E, W> {
    fn arm(&mut self, cut: u64, style: CutStyle) {
        self.set_cut_style(style);
        self.cut_power_after(cut);
    }
    fn restore(&mut self) {
        self.power_on();
    }
    fn units(&self) -> u64 {
        self.stats().units()
    }
    fn reprogrammed(&self) -> u32 {
        self.stats().reprogrammed
    }
}

/// Every cut point (or every `step`-th) of `workload` on `base`.
fn every_cut<F>(
    base: F,
    policy: FullPolicy,
    workload: &[Recording],
    after: &Recording,
    step: u64,
    styles: &[CutStyle],
) -> (u64, usize)
where
    F: embedded_storage::nor_flash::NorFlash<Error = RamFlashError> + Clone + Cuttable,
{
    let (mut store, report) = mount(base.clone(), policy);
    assert!(report.is_clean());
    let mut older = Vec::new();
    for s in store.sessions().map(|s| s.id).collect::<Vec<_>>() {
        older.push((s, read_all(&mut store, s)));
    }
    // The whole workload without a cut: how many units it takes.
    let mut model = Model::default();
    {
        let mut recorder = Recorder {
            store: &mut store,
            model: &mut model,
        };
        for (i, r) in workload.iter().enumerate() {
            recorder.record(r, i as u32).expect("the workload fits");
        }
    }
    let total = store.release().units() - base.units();
    let bytes: usize = model.sessions.iter().map(|s| s.1.len()).sum();
    let mut cuts = 0;
    let mut cut = 0;
    while cut <= total {
        for &style in styles {
            let finished = cut_and_recover(&base, policy, style, cut, workload, after, &older);
            assert_eq!(finished, cut == total, "cut {cut} of {total}");
            cuts += 1;
        }
        cut += if cut + step > total && cut < total {
            total - cut
        } else {
            step
        };
    }
    eprintln!(
        "{} cuts over {total} units ({bytes} log bytes in {} sessions, {} dropped)",
        cuts,
        workload.len(),
        model.dropped,
    );
    (total, bytes)
}

/// Runs `f` on a thread with room for several 64 KiB flashes on its stack
/// (the store owns its flash by value, as on the device).
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn every_cut_of_a_recorded_meeting() {
    with_big_stack(every_cut_of_a_recorded_meeting_);
}

fn every_cut_of_a_recorded_meeting_() {
    // A 60-minute meeting of 6 seats.
    let sessions = recordings(&[60, 3]);
    let (meeting, after) = (&sessions[0], &sessions[1]);
    assert!(
        meeting.events.len() > 1_000,
        "{} events",
        meeting.events.len()
    );
    let styles: &[CutStyle] = if RELEASE {
        &[CutStyle::BetweenBytes, CutStyle::HalfByte]
    } else {
        &[CutStyle::BetweenBytes]
    };
    let (total, bytes) = every_cut(
        Flash::new(),
        FullPolicy::Stop,
        std::slice::from_ref(meeting),
        after,
        1,
        styles,
    );
    assert!(bytes > 2_000 && total as usize > bytes);
}

#[test]
fn cuts_across_several_sessions_and_erases_ahead() {
    with_big_stack(cuts_across_several_sessions_and_erases_ahead_);
}

fn cuts_across_several_sessions_and_erases_ahead_() {
    // Four meetings back to back; they cross sector boundaries, and erasing
    // ahead after each one is cut too.
    let sessions = recordings(&[12, 20, 6, 15, 2]);
    let (workload, after) = sessions.split_at(4);
    let step = if RELEASE { 1 } else { 7 };
    let styles: &[CutStyle] = if RELEASE {
        &[CutStyle::BetweenBytes, CutStyle::HalfByte]
    } else {
        &[CutStyle::HalfByte]
    };
    every_cut(
        Flash::new(),
        FullPolicy::Stop,
        workload,
        &after[0],
        step,
        styles,
    );
}

#[test]
fn cuts_while_overwriting_the_oldest_sessions() {
    with_big_stack(cuts_while_overwriting_the_oldest_sessions_);
}

fn cuts_while_overwriting_the_oldest_sessions_() {
    // A small region, nearly full of older meetings; recording the next one
    // retires and erases the oldest sectors (policy overwrite-oldest), and
    // the log says which bytes went.
    let sessions = recordings(&[20, 50, 3]);
    let mut base = Small::new();
    {
        let (mut store, _) = mount(base.clone(), FullPolicy::OverwriteOldest);
        let mut model = Model::default();
        let mut recorder = Recorder {
            store: &mut store,
            model: &mut model,
        };
        // Fill it with the first meeting, again and again, until one more
        // would not fit without dropping one.
        let mut n = 0;
        while recorder.store.usage().used + 2 * 1_200 < recorder.store.usage().capacity {
            recorder.record(&sessions[0], 1000 + n).expect("prefill");
            n += 1;
        }
        assert_eq!(model.dropped, 0);
        assert!(n >= 8, "{n} sessions");
        base = store.release();
    }
    let (workload, after) = (&sessions[1..2], &sessions[2]);
    // Without a cut, the workload drops sessions and writes a notice.
    {
        let (mut store, _) = mount(base.clone(), FullPolicy::OverwriteOldest);
        let mut model = Model::default();
        let mut recorder = Recorder {
            store: &mut store,
            model: &mut model,
        };
        recorder.record(&workload[0], 7).unwrap();
        assert!(model.dropped > 0, "{model:?}");
        let id = model.sessions[0].0.unwrap();
        let bytes = read_all(&mut store, id);
        let mut scratch = vec![0u8; bytes.len()];
        let notices = SessionReader::new(&bytes, &mut scratch)
            .unwrap()
            .filter(|i| matches!(i, SessionItem::Notice(n) if matches!(n.what, StoreEvent::Overwritten { .. })))
            .count();
        assert!(notices > 0, "no overwrite notice in the log");
    }
    let step = if RELEASE { 1 } else { 5 };
    every_cut(
        base,
        FullPolicy::OverwriteOldest,
        workload,
        after,
        step,
        &[CutStyle::HalfByte],
    );
}
