//! Host tests of the stores on [`RamFlash`], including a power cut at every
//! byte of a recorded workload.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

extern crate std;

use std::vec::Vec;

use embedded_storage::nor_flash::NorFlash;

use super::*;

/// A small flash: 6 sectors of 256 bytes, so that sessions cross sectors
/// and the ring wraps within a short workload.
type Small = RamFlash<{ 6 * 256 }, 256>;
/// The same, with a write size of 4 bytes.
type SmallW4 = RamFlash<{ 6 * 256 }, 256, 4>;
/// The same, with a write size of 16 bytes.
type SmallW16 = RamFlash<{ 6 * 256 }, 256, 16>;
/// RP2040-like geometry: 4 KiB sectors, byte writes.
type Big = RamFlash<{ 16 * 4096 }>;

/// Deterministic frame contents, varied in length, with 0x00 and 0xFF.
fn frame(session: u32, i: u32) -> Vec<u8> {
    let len = 1 + ((i * 7 + session * 3) % 37) as usize;
    (0..len)
        .map(|k| match (k as u32 + i + session) % 11 {
            0 => 0x00,
            1 => 0xFF,
            x => (x * 23 + i) as u8,
        })
        .collect()
}

fn mount<F: NorFlash>(flash: F, policy: FullPolicy) -> (SessionStore<F>, MountReport)
where
    F::Error: core::fmt::Debug,
{
    SessionStore::mount(flash, policy).expect("mount")
}

/// A whole session's bytes, read in 7-byte chunks (exercising the cursor).
fn read_all<F: NorFlash, const N: usize>(
    store: &mut SessionStore<F, N>,
    id: StoredSessionId,
) -> Vec<u8>
where
    F::Error: core::fmt::Debug,
{
    let len = store.session(id).expect("listed").len;
    let mut out = Vec::new();
    let mut buf = [0u8; 7];
    loop {
        let n = store.read(id, out.len() as u32, &mut buf).expect("read");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(out.len() as u32, len, "length listed vs read");
    out
}

#[test]
fn sessions_round_trip_across_sectors_and_remounts() {
    let (mut store, report) = mount(Big::new(), FullPolicy::Stop);
    assert_eq!(report.sessions, 0);
    let mut expected = Vec::new();
    for s in 0..3u32 {
        let (id, _) = store
            .begin_session(Some(1_700_000_000_000 + u64::from(s)))
            .unwrap();
        let mut bytes = Vec::new();
        for i in 0..400 {
            let f = frame(id.0, i);
            store.append(&f).unwrap();
            bytes.extend_from_slice(&f);
        }
        store.end_session().unwrap();
        expected.push((id, bytes));
    }
    for (id, bytes) in &expected {
        assert_eq!(&read_all(&mut store, *id), bytes);
    }
    let (mut store, report) = mount(store.release(), FullPolicy::Stop);
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.sessions, 3);
    assert_eq!(report.torn_writes, 0);
    let listed: Vec<_> = store
        .sessions()
        .map(|s| (s.id, s.state, s.started_unix_ms))
        .collect();
    assert_eq!(
        listed,
        [
            (
                StoredSessionId(1),
                StoredSessionState::Ended,
                Some(1_700_000_000_000)
            ),
            (
                StoredSessionId(2),
                StoredSessionState::Ended,
                Some(1_700_000_000_001)
            ),
            (
                StoredSessionId(3),
                StoredSessionState::Ended,
                Some(1_700_000_000_002)
            ),
        ]
    );
    for (id, bytes) in &expected {
        assert_eq!(&read_all(&mut store, *id), bytes);
    }
    // Random access: any offset, any length.
    let (id, bytes) = &expected[1];
    let mut buf = [0u8; 100];
    for offset in [0usize, 1, 36, 37, 500, bytes.len() - 3, bytes.len()] {
        let n = store.read(*id, offset as u32, &mut buf).unwrap();
        assert_eq!(&buf[..n], &bytes[offset..(offset + 100).min(bytes.len())]);
    }
    assert_eq!(
        store.read(*id, bytes.len() as u32 + 1, &mut buf),
        Err(StoreError::OffsetOutOfRange)
    );
    assert_eq!(
        store.read(StoredSessionId(9), 0, &mut buf),
        Err(StoreError::UnknownSession)
    );
    // A new session continues the numbering.
    let (id, _) = store.begin_session(None).unwrap();
    assert_eq!(id, StoredSessionId(4));
    assert_eq!(store.release().stats().reprogrammed, 0);
}

#[test]
fn refuses_misuse_without_writing() {
    let (mut store, _) = mount(Small::new(), FullPolicy::Stop);
    assert_eq!(store.append(b"x"), Err(StoreError::NoSession));
    assert_eq!(store.end_session(), Err(StoreError::NoSession));
    store.begin_session(None).unwrap();
    assert_eq!(store.begin_session(None), Err(StoreError::SessionOpen));
    let too_big = [0u8; 300];
    assert_eq!(store.append(&too_big), Err(StoreError::TooLarge));
    assert!(store.append(&too_big[..store.max_frame()]).is_ok());
    assert_eq!(
        store.erase_through(StoredSessionId(1)),
        Err(StoreError::SessionOpen)
    );
    assert_eq!(
        SessionStore::<_>::mount(RamFlash::<256, 256>::new(), FullPolicy::Stop).err(),
        Some(StoreError::RegionTooSmall)
    );
}

/// Fills the store under policy Stop: `Full` comes with the final reserve
/// left, so the notice and the end still fit.
#[test]
fn stop_policy_keeps_room_for_the_notice_and_the_end() {
    let (mut store, _) = mount(Small::new(), FullPolicy::Stop);
    let (id, _) = store.begin_session(None).unwrap();
    let mut bytes = Vec::new();
    let mut i = 0;
    loop {
        let f = frame(1, i);
        match store.append(&f) {
            Ok(appended) => {
                assert_eq!(appended.dropped, None);
                bytes.extend_from_slice(&f);
            }
            Err(StoreError::Full) => break,
            Err(e) => panic!("{e:?}"),
        }
        i += 1;
    }
    assert!(i > 20, "the store took only {i} frames");
    let notice = [0x42u8; 40];
    store.append_final(&notice).unwrap();
    bytes.extend_from_slice(&notice);
    store.end_session().unwrap();
    assert_eq!(store.begin_session(None), Err(StoreError::Full));

    let (mut store, report) = mount(store.release(), FullPolicy::Stop);
    assert!(report.is_clean());
    assert_eq!(store.session(id).unwrap().state, StoredSessionState::Ended);
    assert_eq!(read_all(&mut store, id), bytes);
    // Erasing makes room again, and ids are not reused.
    assert_eq!(store.erase_all().unwrap(), 1);
    assert_eq!(store.sessions().count(), 0);
    let (mut store, report) = mount(store.release(), FullPolicy::Stop);
    assert_eq!(report.sessions, 0);
    let (next, _) = store.begin_session(None).unwrap();
    assert_eq!(next, StoredSessionId(2));
}

/// Under OverwriteOldest, old sessions go whole, oldest first, and every
/// remaining one reads back exactly.
#[test]
fn overwrite_policy_drops_whole_oldest_sessions() {
    let (mut store, _) = mount(Small::new(), FullPolicy::OverwriteOldest);
    let mut kept: Vec<(StoredSessionId, Vec<u8>)> = Vec::new();
    let mut dropped_total = 0;
    for s in 0..12u32 {
        let (id, appended) = store.begin_session(None).unwrap();
        let mut dropped = appended.dropped;
        let mut bytes = Vec::new();
        for i in 0..(5 + s % 4) {
            let f = frame(id.0, i);
            let appended = store.append(&f).unwrap();
            dropped = Dropped::merge(dropped, appended.dropped);
            bytes.extend_from_slice(&f);
        }
        store.end_session().unwrap();
        if let Some(d) = dropped {
            // Always the oldest, as a contiguous range.
            assert_eq!(d.first, kept[0].0);
            assert_eq!(
                d.count as usize,
                kept.iter().filter(|(k, _)| *k <= d.last).count()
            );
            assert_eq!(
                d.bytes as usize,
                kept.iter()
                    .filter(|(k, _)| *k <= d.last)
                    .map(|(_, b)| b.len())
                    .sum::<usize>()
            );
            kept.retain(|(k, _)| *k > d.last);
            dropped_total += u32::from(d.count);
        }
        kept.push((id, bytes));
    }
    assert!(dropped_total > 0, "the ring never wrapped");
    assert_eq!(store.usage().overwritten, dropped_total);
    let listed: Vec<_> = store.sessions().map(|s| s.id).collect();
    assert_eq!(listed, kept.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    for (id, bytes) in &kept {
        assert_eq!(&read_all(&mut store, *id), bytes);
    }
    let (mut store, report) = mount(store.release(), FullPolicy::OverwriteOldest);
    assert!(report.is_clean(), "{report:?}");
    let listed: Vec<_> = store.sessions().map(|s| s.id).collect();
    assert_eq!(listed, kept.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    for (id, bytes) in &kept {
        assert_eq!(&read_all(&mut store, *id), bytes);
    }
    assert_eq!(store.release().stats().reprogrammed, 0);
}

/// A session never overwrites its own beginning: it gets `Full` instead.
#[test]
fn a_session_larger_than_the_store_stops_instead_of_eating_itself() {
    let (mut store, _) = mount(Small::new(), FullPolicy::OverwriteOldest);
    let (id, _) = store.begin_session(None).unwrap();
    let mut bytes = Vec::new();
    let mut i = 0;
    let full = loop {
        let f = frame(id.0, i);
        match store.append(&f) {
            Ok(_) => bytes.extend_from_slice(&f),
            Err(e) => break e,
        }
        i += 1;
    };
    assert_eq!(full, StoreError::Full);
    store.append_final(b"notice").unwrap();
    bytes.extend_from_slice(b"notice");
    store.end_session().unwrap();
    assert_eq!(read_all(&mut store, id), bytes);
}

#[test]
fn the_index_bound_counts_as_full() {
    let (mut store, _) = SessionStore::<_, 3>::mount(Big::new(), FullPolicy::Stop).unwrap();
    for _ in 0..3 {
        store.begin_session(None).unwrap();
        store.append(b"abc").unwrap();
        store.end_session().unwrap();
    }
    assert_eq!(store.begin_session(None), Err(StoreError::Full));

    // Overwriting: the oldest sessions go (with their sectors).
    let mut flash = Big::new();
    {
        let (mut store, _) =
            SessionStore::<_, 3>::mount(&mut flash, FullPolicy::OverwriteOldest).unwrap();
        for s in 0..5u32 {
            let (id, appended) = store.begin_session(None).unwrap();
            assert_eq!(id, StoredSessionId(s + 1));
            if s >= 3 {
                assert!(appended.dropped.is_some(), "session {s} dropped nothing");
            }
            // A sector per session, so that retiring one drops one.
            store.append(&[7u8; 3000]).unwrap();
            store.append(&[8u8; 3000]).unwrap();
            store.end_session().unwrap();
        }
        assert_eq!(
            store.sessions().map(|s| s.id.0).collect::<Vec<_>>(),
            [3, 4, 5]
        );
    }
    let (store, report) = SessionStore::<_, 3>::mount(&mut flash, FullPolicy::Stop).unwrap();
    assert!(report.is_clean());
    assert_eq!(
        store.sessions().map(|s| s.id.0).collect::<Vec<_>>(),
        [3, 4, 5]
    );
}

#[test]
fn an_erase_is_not_an_overwrite() {
    // A small store under the overwrite policy: sessions are dropped to
    // make room, then everything is erased on purpose.
    let (mut store, _) = mount(Small::new(), FullPolicy::OverwriteOldest);
    for session in 0..12 {
        store.begin_session(None).unwrap();
        for i in 0..6 {
            store.append(&frame(session, i)).unwrap();
        }
        store.end_session().unwrap();
    }
    assert!(store.usage().overwritten > 0, "the workload overwrites");
    store.erase_all().unwrap();
    assert_eq!(store.usage().overwritten, 0, "counted from the erase");

    // Sessions that only an erase removed were never overwritten.
    let (mut store, _) = mount(store.release(), FullPolicy::OverwriteOldest);
    store.begin_session(None).unwrap();
    store.append(b"one").unwrap();
    store.end_session().unwrap();
    assert_eq!(store.erase_all().unwrap(), 1);
    assert_eq!(store.usage().overwritten, 0);
}

#[test]
fn a_session_resumes_after_a_reset() {
    let (mut store, _) = mount(Big::new(), FullPolicy::Stop);
    let (first, _) = store.begin_session(None).unwrap();
    store.append(b"ended").unwrap();
    store.end_session().unwrap();
    let (id, _) = store.begin_session(Some(1_700_000_000_000)).unwrap();
    store.append(b"before ").unwrap();

    // The device resets: RAM is lost, the flash is as it was.
    let (mut store, report) = mount(store.release(), FullPolicy::Stop);
    assert_eq!(report.interrupted_sessions, 1);
    assert_eq!(
        store.resume_session(first),
        Err(StoreError::UnknownSession),
        "only the newest, unended session resumes"
    );
    store.resume_session(id).unwrap();
    assert_eq!(store.recording(), Some(id));
    assert_eq!(store.resume_session(id), Err(StoreError::SessionOpen));
    store.append(b"after").unwrap();
    store.end_session().unwrap();

    let (mut store, report) = mount(store.release(), FullPolicy::Stop);
    assert!(report.is_clean());
    assert_eq!(report.interrupted_sessions, 0);
    let session = *store.session(id).unwrap();
    assert_eq!(session.state, StoredSessionState::Ended);
    assert_eq!(session.started_unix_ms, Some(1_700_000_000_000));
    assert_eq!(read_all(&mut store, id), b"before after");
    assert_eq!(store.resume_session(id), Err(StoreError::UnknownSession));
}

#[test]
fn erase_keeps_the_recording_session_and_hides_shared_sectors() {
    let (mut store, _) = mount(Big::new(), FullPolicy::Stop);
    for _ in 0..4 {
        store.begin_session(None).unwrap();
        store.append(b"short session").unwrap();
        store.end_session().unwrap();
    }
    // All four share the first sector with the fifth, being recorded.
    let (recording, _) = store.begin_session(None).unwrap();
    store.append(b"live").unwrap();
    assert_eq!(store.erase_through(recording), Err(StoreError::SessionOpen));
    assert_eq!(store.erase_through(StoredSessionId(2)).unwrap(), 2);
    assert_eq!(
        store.sessions().map(|s| s.id.0).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    assert_eq!(store.erase_all().unwrap(), 2);
    assert_eq!(
        store.sessions().map(|s| s.id).collect::<Vec<_>>(),
        [recording]
    );
    store.append(b" more").unwrap();
    store.end_session().unwrap();

    let (mut store, report) = mount(store.release(), FullPolicy::Stop);
    assert!(report.is_clean());
    assert_eq!(
        store.sessions().map(|s| s.id).collect::<Vec<_>>(),
        [recording]
    );
    assert_eq!(read_all(&mut store, recording), b"live more");
    assert_eq!(store.erase_all().unwrap(), 1);
    let (mut store, _) = mount(store.release(), FullPolicy::Stop);
    assert_eq!(store.sessions().count(), 0);
    assert_eq!(store.begin_session(None).unwrap().0, StoredSessionId(6));
}

#[test]
fn damage_is_reported_and_confined_to_the_damaged_entry() {
    let (mut store, _) = mount(Big::new(), FullPolicy::Stop);
    let (id, _) = store.begin_session(None).unwrap();
    let frames: Vec<Vec<u8>> = (0..50).map(|i| frame(1, i)).collect();
    for f in &frames {
        store.append(f).unwrap();
    }
    store.end_session().unwrap();
    let mut flash = store.release();
    // Flip a bit in the payload of the 10th record: sector header (20
    // bytes), begin entry (8 + 12), then records of 8 + len bytes each.
    let offset = 20 + 20 + frames[..9].iter().map(|f| 8 + f.len()).sum::<usize>() + 8;
    flash.bytes_mut()[offset] ^= 0x10;
    let (mut store, report) = mount(flash, FullPolicy::Stop);
    assert!(!report.is_clean());
    assert_eq!(report.corrupt_entries, 1);
    assert_eq!(report.torn_writes, 0);
    let expected: Vec<u8> = frames
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 9)
        .flat_map(|(_, f)| f.iter().copied())
        .collect();
    assert_eq!(read_all(&mut store, id), expected);
    assert_eq!(store.session(id).unwrap().state, StoredSessionState::Ended);
}

/// What the workload below has committed: per session, its frames, and
/// whether its end was written.
#[derive(Clone, Debug, Default)]
struct Model {
    sessions: Vec<(StoredSessionId, Vec<u8>, bool)>,
    /// Sessions the store dropped to make room.
    dropped: u32,
    /// The operation under way when the power went.
    in_flight: Option<InFlight>,
}

#[derive(Clone, Debug)]
enum InFlight {
    Begin,
    Append(StoredSessionId, Vec<u8>),
    End(StoredSessionId),
}

/// Records sessions until the flash fails (a power cut) or `sessions`
/// sessions are done, keeping `model` up to date with what was committed.
fn workload<F: NorFlash>(
    store: &mut SessionStore<F>,
    model: &mut Model,
    seed: u32,
    sessions: u32,
) -> Result<(), StoreError<F::Error>> {
    for s in 0..sessions {
        model.in_flight = Some(InFlight::Begin);
        let (id, appended) = store.begin_session(Some(1_000 + u64::from(s)))?;
        apply_drop(model, appended);
        model.sessions.push((id, Vec::new(), false));
        for i in 0..(3 + (s * 5 + seed) % 9) {
            let f = frame(id.0 ^ seed, i);
            model.in_flight = Some(InFlight::Append(id, f.clone()));
            let appended = store.append(&f)?;
            apply_drop(model, appended);
            model.sessions.last_mut().unwrap().1.extend_from_slice(&f);
        }
        model.in_flight = Some(InFlight::End(id));
        store.end_session()?;
        model.sessions.last_mut().unwrap().2 = true;
    }
    model.in_flight = None;
    Ok(())
}

fn apply_drop(model: &mut Model, appended: Appended) {
    if let Some(d) = appended.dropped {
        model.dropped += u32::from(d.count);
        model.sessions.retain(|(id, _, _)| *id > d.last);
    }
}

/// After a cut: every committed session whose data the policy kept is
/// there, byte for byte; the in-flight frame is whole or absent; nothing
/// reads as corrupt. `older`: sessions stored before the workload began.
fn check_after_cut<F: NorFlash>(
    store: &mut SessionStore<F>,
    model: &Model,
    report: &MountReport,
    older: &[StoredSessionId],
    cut: u64,
) where
    F::Error: core::fmt::Debug,
{
    assert!(report.is_clean(), "cut at {cut}: {report:?}");
    let listed: Vec<StoredSessionId> = store.sessions().map(|s| s.id).collect();
    let (old_listed, new_listed): (Vec<StoredSessionId>, Vec<StoredSessionId>) =
        listed.iter().partition(|id| older.contains(id));
    // Older sessions: only ever dropped oldest first.
    assert!(
        older.ends_with(&old_listed),
        "cut at {cut}: {old_listed:?} of {older:?}"
    );
    // The workload's: the model's, possibly without some of the oldest (an
    // overwrite under way), possibly with the one being begun.
    let model_ids: Vec<StoredSessionId> = model.sessions.iter().map(|(id, _, _)| *id).collect();
    let beginning = matches!(model.in_flight, Some(InFlight::Begin));
    let extra = beginning && new_listed.last().is_some_and(|id| !model_ids.contains(id));
    let known = &new_listed[..new_listed.len() - usize::from(extra)];
    assert!(
        model_ids.ends_with(known),
        "cut at {cut}: listed {new_listed:?}, model {model_ids:?}"
    );
    if let Some(last) = model_ids.last() {
        assert!(
            new_listed.contains(last),
            "cut at {cut}: newest session {last:?} lost"
        );
    }
    for id in &new_listed {
        let bytes = read_all(store, *id);
        let state = store.session(*id).unwrap().state;
        let Some((_, committed, ended)) = model.sessions.iter().find(|(m, _, _)| m == id) else {
            assert!(
                bytes.is_empty(),
                "cut at {cut}: a session being begun has data"
            );
            assert_eq!(state, StoredSessionState::Interrupted);
            continue;
        };
        match &model.in_flight {
            Some(InFlight::Append(at, f)) if at == id => {
                let mut with = committed.clone();
                with.extend_from_slice(f);
                assert!(
                    &bytes == committed || bytes == with,
                    "cut at {cut}: session {id:?} is neither before nor after the frame"
                );
            }
            Some(InFlight::End(at)) if at == id => {
                assert_eq!(&bytes, committed, "cut at {cut}");
                assert!(matches!(
                    state,
                    StoredSessionState::Ended | StoredSessionState::Interrupted
                ));
            }
            _ => {
                assert_eq!(&bytes, committed, "cut at {cut}: session {id:?}");
                let want = if *ended {
                    StoredSessionState::Ended
                } else {
                    StoredSessionState::Interrupted
                };
                assert_eq!(state, want, "cut at {cut}: session {id:?}");
            }
        }
    }
}

/// A [`RamFlash`] of any geometry, for the generic cut test.
trait Cuttable: NorFlash<Error = RamFlashError> + Clone {
    fn fresh() -> Self;
    fn arm(&mut self, cut: u64, style: CutStyle);
    fn restore_power(&mut self);
    fn units(&self) -> u64;
    fn reprogrammed(&self) -> u32;
}

impl<const S: usize, const E: usize, const W: usize> Cuttable for RamFlash<S, E, W> {
    fn fresh() -> Self {
        Self::new()
    }
    fn arm(&mut self, cut: u64, style: CutStyle) {
        self.set_cut_style(style);
        self.cut_power_after(cut);
    }
    fn restore_power(&mut self) {
        self.power_on();
    }
    fn units(&self) -> u64 {
        self.stats().units()
    }
    fn reprogrammed(&self) -> u32 {
        self.stats().reprogrammed
    }
}

/// Runs the workload on a copy of `base` with the power cut after `cut`
/// units, remounts and checks; then records one more session and checks
/// again. Returns whether the workload finished before the cut.
fn cut_and_recover<F: Cuttable>(
    base: &F,
    policy: FullPolicy,
    style: CutStyle,
    cut: u64,
    sessions: u32,
) -> bool {
    let mut flash = base.clone();
    flash.arm(cut, style);
    let (mut store, _) = mount(flash, policy);
    let older: Vec<StoredSessionId> = store.sessions().map(|s| s.id).collect();
    let mut model = Model::default();
    let finished = workload(&mut store, &mut model, 7, sessions).is_ok();
    let mut flash = store.release();
    flash.restore_power();
    let (mut store, report) = mount(flash, policy);
    check_after_cut(&mut store, &model, &report, &older, cut);

    // Logging continues.
    let (id, _) = store.begin_session(None).expect("begin after a cut");
    store.append(b"after the cut").expect("append after a cut");
    store.end_session().expect("end after a cut");
    let (mut store, report) = mount(store.release(), policy);
    assert!(report.is_clean(), "cut at {cut}, second mount: {report:?}");
    assert_eq!(read_all(&mut store, id), b"after the cut");
    assert_eq!(store.release().reprogrammed(), 0, "cut at {cut}");
    finished
}

/// Cuts the power at every unit (byte programmed or sector erased) of a
/// workload of `sessions` sessions, after `prefill` sessions recorded
/// before it (so that the workload also retires and reuses sectors).
fn every_cut_point<F: Cuttable>(policy: FullPolicy, style: CutStyle, sessions: u32, prefill: u32) {
    let mut base = F::fresh();
    if prefill > 0 {
        let (mut store, _) = mount(base, policy);
        workload(&mut store, &mut Model::default(), 99, prefill).unwrap();
        base = store.release();
    }
    let (mut store, _) = mount(base.clone(), policy);
    let mut model = Model::default();
    workload(&mut store, &mut model, 7, sessions).expect("workload without a cut");
    if policy == FullPolicy::OverwriteOldest {
        assert!(model.dropped > 0, "the workload never overwrites");
    }
    let total = store.release().units() - base.units();
    assert!(total > 500, "workload too small: {total} units");
    for cut in 0..=total {
        let finished = cut_and_recover(&base, policy, style, cut, sessions);
        // Only a budget covering every unit lets the workload finish.
        assert_eq!(finished, cut == total, "cut at {cut} of {total}");
    }
}

#[test]
fn every_cut_stop_policy() {
    every_cut_point::<Small>(FullPolicy::Stop, CutStyle::BetweenBytes, 4, 0);
}

#[test]
fn every_cut_half_written_byte() {
    every_cut_point::<Small>(FullPolicy::Stop, CutStyle::HalfByte, 4, 0);
}

#[test]
fn every_cut_while_overwriting() {
    every_cut_point::<Small>(FullPolicy::OverwriteOldest, CutStyle::HalfByte, 5, 6);
}

#[test]
fn every_cut_write_size_4() {
    every_cut_point::<SmallW4>(FullPolicy::OverwriteOldest, CutStyle::BetweenBytes, 5, 6);
}

#[test]
fn every_cut_write_size_16() {
    every_cut_point::<SmallW16>(FullPolicy::OverwriteOldest, CutStyle::HalfByte, 4, 4);
}

#[test]
fn config_slot_survives_a_cut_at_every_point() {
    type Flash = RamFlash<{ 2 * 256 }, 256>;
    let copy = |n: u32| -> Vec<u8> { (0..(20 + n % 30)).map(|k| (k * 7 + n) as u8).collect() };
    // Count the units of 20 saves (enough to switch sectors several times).
    let mut slot = ConfigStore::mount(Flash::new()).unwrap();
    for n in 0..20 {
        slot.save(&copy(n)).unwrap();
    }
    let total = slot.release().stats().units();
    assert!(total > 600, "{total}");
    for cut in 0..=total {
        let mut flash = Flash::new();
        flash.cut_power_after(cut);
        let mut slot = ConfigStore::mount(flash).unwrap();
        let mut saved = None;
        let mut trying = None;
        for n in 0..20 {
            trying = Some(n);
            if slot.save(&copy(n)).is_err() {
                break;
            }
            saved = Some(n);
            trying = None;
        }
        let mut flash = slot.release();
        flash.power_on();
        let mut slot = ConfigStore::mount(flash).unwrap();
        let mut buf = [0u8; 64];
        let got = slot.load(&mut buf).unwrap().map(|n| buf[..n].to_vec());
        let ok = match (saved, trying) {
            (None, _) => got.is_none() || got == Some(copy(0)),
            (Some(n), None) => got == Some(copy(n)),
            (Some(n), Some(t)) => got == Some(copy(n)) || got == Some(copy(t)),
        };
        assert!(
            ok,
            "cut at {cut}: saved {saved:?}, trying {trying:?}, loaded {got:?}"
        );
        // Saving goes on, and a second cut during that save still leaves
        // the copy loaded now or the new one.
        let recovered = slot.release();
        for second in 0..80 {
            let mut flash = recovered.clone();
            flash.cut_power_after(second);
            let mut slot = ConfigStore::mount(flash).unwrap();
            let finished = slot.save(b"after").is_ok();
            let mut flash = slot.release();
            flash.power_on();
            assert_eq!(flash.stats().reprogrammed, 0);
            let mut slot = ConfigStore::mount(flash).unwrap();
            let again = slot.load(&mut buf).unwrap().map(|n| buf[..n].to_vec());
            if finished {
                assert_eq!(
                    again.as_deref(),
                    Some(&b"after"[..]),
                    "cut at {cut}, then {second}"
                );
                break;
            }
            assert!(
                again == got || again.as_deref() == Some(&b"after"[..]),
                "cut at {cut}, then {second}: had {got:?}, now {again:?}"
            );
        }
    }
}

#[test]
fn config_slot_refuses_what_does_not_fit() {
    let mut slot = ConfigStore::mount(RamFlash::<{ 2 * 256 }, 256>::new()).unwrap();
    let big = [1u8; 300];
    assert_eq!(slot.save(&big), Err(StoreError::TooLarge));
    slot.save(&big[..100]).unwrap();
    let mut small = [0u8; 50];
    assert_eq!(slot.load(&mut small), Err(StoreError::TooLarge));
}

/// The log writer's frames through the store, with a power cut at every
/// point: what the store gives back always decodes without a single damaged
/// frame, starts with the session's header, and holds every frame whose
/// append had returned.
#[test]
fn log_frames_survive_every_cut() {
    use crate::log::{Item, LogReader, LogWriter, MAX_WRITE_LEN};
    use crate::records::{FlushPolicy, Header, Record, Seats, SessionId as LogSession};
    use crate::seat::{InputKind, SeatId as Seat};
    use crate::turns::{Event, MarkerKind, TurnEnd};

    type Flash = RamFlash<{ 8 * 512 }, 512>;
    let kinds = [InputKind::Button; 4];

    /// Records one session; returns the bytes whose appends returned.
    fn record(
        store: &mut SessionStore<Flash>,
        kinds: &[InputKind],
    ) -> (Vec<u8>, Result<(), StoreError<RamFlashError>>) {
        let mut committed = Vec::new();
        let mut run = || -> Result<(), StoreError<RamFlashError>> {
            let (id, _) = store.begin_session(None)?;
            let mut header = Header::new(
                LogSession {
                    number: id.0,
                    nonce: 0xBEEF,
                },
                7,
                Seats::new(kinds).unwrap(),
            );
            header.flush = FlushPolicy {
                max_turns: 3,
                max_age_ms: 60_000,
            };
            let mut out = [0u8; 2 * MAX_WRITE_LEN];
            let (mut writer, n) = LogWriter::start(&header, &mut out).unwrap();
            store.append(&out[..n])?;
            committed.extend_from_slice(&out[..n]);
            for i in 0..40u64 {
                let event = if i % 13 == 12 {
                    Event::Marker {
                        at: i * 1000,
                        kind: MarkerKind::Agenda,
                    }
                } else {
                    let seat = Seat::new((i % 4) as u8).unwrap();
                    Event::TurnEnded {
                        seat,
                        start: i * 1000,
                        end: i * 1000 + 700,
                        how: TurnEnd::Natural,
                    }
                };
                let n = writer.push(&event, &mut out).unwrap();
                if n > 0 {
                    store.append(&out[..n])?;
                    committed.extend_from_slice(&out[..n]);
                }
            }
            let n = writer.finish(4000, &mut out).unwrap();
            store.append_final(&out[..n])?;
            committed.extend_from_slice(&out[..n]);
            store.end_session()
        };
        let result = run();
        (committed, result)
    }

    let (mut store, _) = mount(Flash::new(), FullPolicy::Stop);
    let (full, result) = record(&mut store, &kinds);
    result.unwrap();
    let total = store.release().stats().units();
    for cut in 0..=total {
        let mut flash = Flash::new();
        flash.cut_power_after(cut);
        let (mut store, _) = mount(flash, FullPolicy::Stop);
        let (committed, result) = record(&mut store, &kinds);
        assert_eq!(result.is_ok(), cut == total, "cut at {cut}");
        let mut flash = store.release();
        flash.power_on();
        let (mut store, report) = mount(flash, FullPolicy::Stop);
        assert!(report.is_clean(), "cut at {cut}: {report:?}");
        let Some(session) = store.sessions().next().map(|s| s.id) else {
            assert!(committed.is_empty(), "cut at {cut}: the session vanished");
            continue;
        };
        let bytes = read_all(&mut store, session);
        assert!(
            bytes.starts_with(&committed),
            "cut at {cut}: committed frames missing"
        );
        assert!(
            full.starts_with(&bytes),
            "cut at {cut}: bytes that were never written"
        );
        let mut scratch = std::vec![0u8; bytes.len()];
        let items: Vec<_> = LogReader::new(&bytes, &mut scratch).unwrap().collect();
        assert!(
            items.iter().all(|item| matches!(item, Item::Record { .. })),
            "cut at {cut}: damaged frames in {items:?}"
        );
        if !bytes.is_empty() {
            assert!(
                matches!(
                    items.first(),
                    Some(Item::Record {
                        record: Record::Header(_),
                        ..
                    })
                ),
                "cut at {cut}"
            );
        }
    }
}

/// Power cuts in a row: a cut, then another cut while the device records
/// after coming back (and a third), at pseudo-random points. Every mount is
/// clean and what the last workload committed is there.
#[test]
fn repeated_cuts_while_recovering() {
    let mut seed: u64 = 0x5EED_1234_ABCD_0001;
    let mut next = move |below: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % below.max(1)
    };
    for policy in [FullPolicy::Stop, FullPolicy::OverwriteOldest] {
        for round in 0..150 {
            let mut flash = Small::new();
            flash.set_cut_style(if round % 2 == 0 {
                CutStyle::HalfByte
            } else {
                CutStyle::BetweenBytes
            });
            for _ in 0..3 {
                flash.cut_power_after(next(1500));
                let (mut store, report) = mount(flash, policy);
                assert!(report.is_clean(), "{policy:?} round {round}: {report:?}");
                let older: Vec<StoredSessionId> = store.sessions().map(|s| s.id).collect();
                let mut model = Model::default();
                let _ = workload(&mut store, &mut model, round, 6);
                flash = store.release();
                flash.power_on();
                let (mut store, report) = mount(flash, policy);
                check_after_cut(&mut store, &model, &report, &older, round.into());
                flash = store.release();
                assert_eq!(flash.stats().reprogrammed, 0);
            }
        }
    }
}

/// The final reserve is what the caller says it needs after `Full`.
#[test]
fn final_reserve_holds_what_the_caller_asked_for() {
    let fill = |reserve: Option<u32>| {
        let (mut store, _) = mount(Small::new(), FullPolicy::Stop);
        if let Some(reserve) = reserve {
            store.set_final_reserve(reserve);
        }
        store.begin_session(None).unwrap();
        let mut i = 0;
        while store.append(&frame(1, i)).is_ok() {
            i += 1;
        }
        // Two 60-byte frames (2 × 68 bytes of entries) and the end (12).
        let last = [0x5Au8; 60];
        let fits = store.append_final(&last).is_ok() && store.append_final(&last).is_ok();
        (fits, store.end_session().is_ok())
    };
    assert_eq!(fill(Some(148)), (true, true));
    assert!(
        !fill(None).0,
        "the default reserve (96) should not hold 136 bytes"
    );
}

/// Sectors erased ahead of time are not erased again when the log reaches
/// them; `prepare` never touches data.
#[test]
fn prepared_sectors_need_no_erase_while_recording() {
    // A ring full of sessions: the next sectors hold data, nothing to do.
    let (mut store, _) = mount(Small::new(), FullPolicy::OverwriteOldest);
    workload(&mut store, &mut Model::default(), 3, 12).unwrap();
    let listed = store.sessions().count();
    assert_eq!(store.prepare(3).unwrap(), 0);
    assert_eq!(store.sessions().count(), listed);

    // Erased sessions leave retired sectors, which need an erase each.
    store.erase_all().unwrap();
    let (id, _) = store.begin_session(None).unwrap();
    store.append(b"kept").unwrap();
    store.end_session().unwrap();
    assert_eq!(store.prepare(3).unwrap(), 3);
    assert_eq!(store.prepare(3).unwrap(), 0, "already erased");

    let flash = store.release();
    let erases = flash.stats().erases;
    let (mut store, report) = mount(flash, FullPolicy::OverwriteOldest);
    assert!(report.is_clean());
    assert_eq!(read_all(&mut store, id), b"kept");
    store.begin_session(None).unwrap();
    for i in 0..10u8 {
        store.append(&[i; 40]).unwrap(); // two more sectors' worth
    }
    store.end_session().unwrap();
    assert!(store.usage().used > 2 * 256, "{:?}", store.usage());
    assert_eq!(
        store.release().stats().erases,
        erases,
        "erased while recording"
    );
}

/// A power cut while erasing ahead loses nothing: only sectors without data
/// are erased.
#[test]
fn a_cut_while_preparing_loses_nothing() {
    let (mut store, _) = mount(Small::new(), FullPolicy::OverwriteOldest);
    workload(&mut store, &mut Model::default(), 5, 12).unwrap();
    let newest = store.sessions().last().unwrap().id;
    store.erase_through(StoredSessionId(newest.0 - 1)).unwrap();
    let kept: Vec<(StoredSessionId, Vec<u8>)> = store
        .sessions()
        .map(|s| s.id)
        .collect::<Vec<_>>()
        .into_iter()
        .map(|id| (id, read_all(&mut store, id)))
        .collect();
    assert!(!kept.is_empty());
    let base = store.release();
    let mut probe = base.clone();
    let before = probe.stats().units();
    let (mut store, _) = mount(&mut probe, FullPolicy::OverwriteOldest);
    assert!(store.prepare(4).unwrap() > 0, "nothing to prepare");
    drop(store);
    let total = probe.stats().units() - before;
    for cut in 0..=total {
        let mut flash = base.clone();
        flash.set_cut_style(CutStyle::HalfByte);
        flash.cut_power_after(cut);
        let (mut store, _) = mount(flash, FullPolicy::OverwriteOldest);
        let _ = store.prepare(4);
        let mut flash = store.release();
        flash.power_on();
        let (mut store, report) = mount(flash, FullPolicy::OverwriteOldest);
        assert!(report.is_clean(), "cut at {cut}: {report:?}");
        for (id, bytes) in &kept {
            assert_eq!(&read_all(&mut store, *id), bytes, "cut at {cut}");
        }
        store.begin_session(None).expect("records after the cut");
    }
}
