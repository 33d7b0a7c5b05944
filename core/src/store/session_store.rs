//! The session log: sessions of log frames appended to a ring of flash
//! sectors, readable back by session and byte offset.

use embedded_storage::nor_flash::NorFlash;
use heapless::Vec;

use super::layout::{BeginPayload, EntryKind, MAGIC_LOG};
use super::region::{Region, SectorState};
use super::walk::{next_live_after, Anomalies, Pos, Walk, Walked};
use super::{FullPolicy, StoreError, StoredSessionId};

/// Entry bytes kept free by default for [`SessionStore::append_final`] and
/// [`SessionStore::end_session`] when no more room can be made, so that a
/// session that fills the store still says so and ends cleanly; see
/// [`SessionStore::set_final_reserve`].
pub const FINAL_RESERVE: u32 = 96;

/// How many sessions [`SessionStore`] keeps in its index unless told
/// otherwise (about 40 bytes of RAM each).
pub const DEFAULT_INDEX: usize = 128;

/// The store's sessions start at this id.
const FIRST_SESSION: u32 = 1;

/// What became of a stored session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StoredSessionState {
    /// Ended by [`SessionStore::end_session`].
    Ended,
    /// Being recorded now.
    Recording,
    /// Never ended: the power went while it was recorded (or its end did
    /// not fit). Everything written up to then is there.
    Interrupted,
}

/// One stored session, as listed by [`SessionStore::sessions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StoredSession {
    /// Its number: increasing, never reused on one device.
    pub id: StoredSessionId,
    /// When it began (Unix ms), if the device clock was set.
    pub started_unix_ms: Option<u64>,
    /// Its log's length: the sum of its records' lengths.
    pub len: u32,
    /// Its records.
    pub records: u32,
    /// Ended, recording or interrupted.
    pub state: StoredSessionState,
    begin: Pos,
}

/// Sessions dropped to make room (policy [`FullPolicy::OverwriteOldest`]):
/// always the oldest ones, `first..=last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dropped {
    /// The oldest dropped session.
    pub first: StoredSessionId,
    /// The newest dropped session.
    pub last: StoredSessionId,
    /// How many.
    pub count: u16,
    /// Their bytes (log lengths) together.
    pub bytes: u32,
}

impl Dropped {
    pub(crate) fn merge(a: Option<Dropped>, b: Option<Dropped>) -> Option<Dropped> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Dropped {
                first: a.first.min(b.first),
                last: a.last.max(b.last),
                count: a.count.saturating_add(b.count),
                bytes: a.bytes.saturating_add(b.bytes),
            }),
            (a, None) => a,
            (None, b) => b,
        }
    }
}

/// The outcome of a successful append.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Appended {
    /// Sessions overwritten to make room for it, if any: write a
    /// [`StoreNotice`](crate::records::StoreNotice) saying so
    /// ([`StoreEvent::Overwritten`](crate::records::StoreEvent::Overwritten))
    /// into the log.
    pub dropped: Option<Dropped>,
}

/// What [`SessionStore::mount`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MountReport {
    /// Sectors in the region.
    pub sectors: u16,
    /// Sectors holding data.
    pub live_sectors: u16,
    /// Sessions stored (and listed).
    pub sessions: u16,
    /// Of these, sessions the power went off in (they are kept as they are).
    pub interrupted_sessions: u16,
    /// Entries a power cut interrupted while they were written. Each one
    /// is simply absent; this is not corruption.
    pub torn_writes: u32,
    /// Damaged entries that no power cut explains (worn or disturbed flash).
    /// Whatever else the sector held is still read.
    pub corrupt_entries: u32,
    /// Sectors found out of order (corruption of the sector headers).
    pub misordered_sectors: u16,
    /// Records whose session's beginning was overwritten; not listed.
    pub orphan_records: u32,
    /// Sessions beyond the index's capacity, the oldest: not listed.
    pub unindexed_sessions: u16,
}

impl MountReport {
    /// No corruption: everything ever committed is readable. Torn writes
    /// (power cuts) and orphans (overwriting) do not count against this.
    pub const fn is_clean(&self) -> bool {
        self.corrupt_entries == 0 && self.misordered_sectors == 0
    }
}

/// How full the store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Usage {
    /// Bytes of flash the store manages.
    pub capacity: u32,
    /// Bytes in use (whole sectors, but for the free end of the newest).
    pub used: u32,
    /// Sessions listed.
    pub sessions: u16,
    /// Sessions dropped to make room (policy
    /// [`FullPolicy::OverwriteOldest`]) since the store was mounted or
    /// last erased; what an erase removes does not count.
    pub overwritten: u32,
}

/// The sector being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Head {
    sector: u16,
    seq: u32,
    /// Where the next entry goes; `None` when the sector takes no more
    /// (it ended in a torn or failed write).
    write_at: Option<u32>,
}

/// Where a sequential reader stopped, so the next chunk continues there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ReadCursor {
    id: StoredSessionId,
    /// Session bytes before the cursor.
    offset: u32,
    /// The entry the cursor is in.
    walk: Walk,
    /// Bytes of that entry's payload already read.
    within: u32,
}

/// Sessions of log frames in a ring of flash sectors; power-loss safe.
///
/// Each appended frame is one entry, written whole or not at all as far as
/// any later reader can tell: after a power cut, [`SessionStore::mount`]
/// finds every entry written before it, and the one being written is either
/// whole or absent. The layout is documented in [`super::layout`].
///
/// `INDEX` bounds how many sessions are kept (the index lives in RAM);
/// reaching it counts as full, like running out of flash.
///
/// ```
/// use tabletalk_core::store::{FullPolicy, RamFlash, SessionStore};
/// let flash = RamFlash::<{ 8 * 4096 }>::new();
/// let (mut store, report) = SessionStore::<_>::mount(flash, FullPolicy::Stop).unwrap();
/// assert!(report.is_clean());
/// let (id, _) = store.begin_session(None).unwrap();
/// store.append(b"frame one\0").unwrap();
/// store.append(b"frame two\0").unwrap();
/// store.end_session().unwrap();
///
/// let mut buf = [0u8; 64];
/// let n = store.read(id, 0, &mut buf).unwrap();
/// assert_eq!(&buf[..n], b"frame one\0frame two\0");
///
/// // After a power cycle, everything is still there.
/// let (mut store, report) = SessionStore::<_>::mount(store.release(), FullPolicy::Stop).unwrap();
/// assert_eq!(report.sessions, 1);
/// assert_eq!(store.read(id, 10, &mut buf).unwrap(), 10);
/// ```
pub struct SessionStore<F: NorFlash, const INDEX: usize = DEFAULT_INDEX> {
    region: Region<F>,
    policy: FullPolicy,
    head: Option<Head>,
    live_sectors: u16,
    next_seq: u32,
    next_session: u32,
    index: Vec<StoredSession, INDEX>,
    recording: Option<StoredSessionId>,
    cursor: Option<ReadCursor>,
    overwritten: u32,
    final_reserve: u32,
}

impl<F: NorFlash, const INDEX: usize> SessionStore<F, INDEX> {
    /// Takes over `flash` (all of it: hand over a partition) and finds what
    /// it holds. Needs at least 2 sectors. Nothing is written.
    pub fn mount(
        flash: F,
        policy: FullPolicy,
    ) -> Result<(Self, MountReport), StoreError<F::Error>> {
        let region = Region::new(flash, MAGIC_LOG, 2)?;
        let mut store = SessionStore {
            region,
            policy,
            head: None,
            live_sectors: 0,
            next_seq: 1,
            next_session: FIRST_SESSION,
            index: Vec::new(),
            recording: None,
            cursor: None,
            overwritten: 0,
            final_reserve: FINAL_RESERVE,
        };
        let report = store.scan()?;
        Ok((store, report))
    }

    /// Gives the flash back.
    pub fn release(self) -> F {
        self.region.flash
    }

    /// What to do when full, from now on.
    pub fn set_policy(&mut self, policy: FullPolicy) {
        self.policy = policy;
    }

    /// Sets how many bytes of entries (each frame plus 8 bytes, and 12 for
    /// the session end) [`SessionStore::append`] leaves free for the final
    /// appends when no more room can be made: enough for what the caller
    /// writes after [`StoreError::Full`] (a notice, the writer's last batch,
    /// its end record). At most a sector's worth counts.
    pub fn set_final_reserve(&mut self, bytes: u32) {
        self.final_reserve = bytes;
    }

    /// What is done when full.
    pub fn policy(&self) -> FullPolicy {
        self.policy
    }

    /// The session being recorded, if any.
    pub fn recording(&self) -> Option<StoredSessionId> {
        self.recording
    }

    /// The stored sessions, oldest first (no flash access).
    pub fn sessions(&self) -> impl Iterator<Item = &StoredSession> {
        self.index.iter()
    }

    /// The stored session `id`.
    pub fn session(&self, id: StoredSessionId) -> Option<&StoredSession> {
        self.index.iter().find(|s| s.id == id)
    }

    /// The stored session with the smallest id above `after` (the oldest
    /// if `None`).
    pub fn next_session(&self, after: Option<StoredSessionId>) -> Option<&StoredSession> {
        self.index
            .iter()
            .find(|s| after.is_none_or(|after| s.id > after))
    }

    /// How full the store is.
    pub fn usage(&self) -> Usage {
        let size = self.region.sector_size();
        let mut used = u32::from(self.live_sectors).saturating_mul(size);
        if let Some(Head {
            write_at: Some(at), ..
        }) = self.head
        {
            used = used.saturating_sub(size.saturating_sub(at));
        }
        Usage {
            capacity: u32::from(self.region.sectors()).saturating_mul(size),
            used,
            sessions: self.index.len() as u16,
            overwritten: self.overwritten,
        }
    }

    /// The longest frame [`SessionStore::append`] takes.
    pub fn max_frame(&self) -> usize {
        self.region.max_payload()
    }

    /// Starts a session; `started_unix_ms` is the wall clock, if set.
    /// Fails with [`StoreError::SessionOpen`] while one is recorded, and
    /// with [`StoreError::Full`] when there is no room (policy
    /// [`FullPolicy::Stop`]).
    pub fn begin_session(
        &mut self,
        started_unix_ms: Option<u64>,
    ) -> Result<(StoredSessionId, Appended), StoreError<F::Error>> {
        if self.recording.is_some() {
            return Err(StoreError::SessionOpen);
        }
        let mut dropped = None;
        // Each round retires a sector; the bound guards against a flash
        // that accepts writes without keeping them.
        let mut rounds = self.region.sectors();
        while self.index.is_full() {
            rounds = rounds.checked_sub(1).ok_or(StoreError::Internal)?;
            let oldest = self.first_live()?;
            let sector = match (self.policy, oldest, self.head) {
                // Never retire the sector being written: that would be all
                // of the index in one sector, which can only be a tiny store.
                (FullPolicy::OverwriteOldest, Some(oldest), Some(head))
                    if oldest.sector != head.sector =>
                {
                    oldest.sector
                }
                _ => return Err(StoreError::Full),
            };
            dropped = Dropped::merge(dropped, self.overwrite_sector(sector)?);
        }
        let id = StoredSessionId(self.next_session);
        let payload = BeginPayload {
            id: id.0,
            started_unix_ms: started_unix_ms.unwrap_or(0),
        }
        .encode();
        let (pos, more_dropped) = self.append_entry(EntryKind::SessionBegin, &payload, false)?;
        self.next_session = self.next_session.saturating_add(1);
        let session = StoredSession {
            id,
            started_unix_ms: started_unix_ms.filter(|&ms| ms != 0),
            len: 0,
            records: 0,
            state: StoredSessionState::Recording,
            begin: pos,
        };
        self.index.push(session).map_err(|_| StoreError::Internal)?;
        self.recording = Some(id);
        Ok((
            id,
            Appended {
                dropped: Dropped::merge(dropped, more_dropped),
            },
        ))
    }

    /// Reopens session `id` for appending after the device lost track of
    /// it (a reset while recording): it must be the newest stored session
    /// and never ended. What is appended next belongs to it, as if it had
    /// never stopped. [`StoreError::SessionOpen`] while one is recorded,
    /// [`StoreError::UnknownSession`] if `id` is not that session.
    pub fn resume_session(&mut self, id: StoredSessionId) -> Result<(), StoreError<F::Error>> {
        if self.recording.is_some() {
            return Err(StoreError::SessionOpen);
        }
        match self.index.last_mut() {
            Some(session)
                if session.id == id && session.state == StoredSessionState::Interrupted =>
            {
                session.state = StoredSessionState::Recording;
                self.recording = Some(id);
                Ok(())
            }
            _ => Err(StoreError::UnknownSession),
        }
    }

    /// Appends one log frame to the session being recorded.
    ///
    /// [`StoreError::Full`] (policy [`FullPolicy::Stop`], or a session that
    /// fills the whole store): nothing was written; [`FINAL_RESERVE`] bytes
    /// are left for [`SessionStore::append_final`] and
    /// [`SessionStore::end_session`].
    pub fn append(&mut self, frame: &[u8]) -> Result<Appended, StoreError<F::Error>> {
        self.append_record(frame, false)
    }

    /// Like [`SessionStore::append`], but may use the final reserve: for
    /// the last frames of a session that found the store full (the notice
    /// saying so).
    pub fn append_final(&mut self, frame: &[u8]) -> Result<Appended, StoreError<F::Error>> {
        self.append_record(frame, true)
    }

    fn append_record(
        &mut self,
        frame: &[u8],
        last: bool,
    ) -> Result<Appended, StoreError<F::Error>> {
        let id = self.recording.ok_or(StoreError::NoSession)?;
        let (_, dropped) = self.append_entry(EntryKind::Record, frame, last)?;
        let len = u32::try_from(frame.len()).map_err(|_| StoreError::TooLarge)?;
        let session = self
            .index
            .iter_mut()
            .rfind(|s| s.id == id)
            .ok_or(StoreError::Internal)?;
        session.len = session.len.saturating_add(len);
        session.records = session.records.saturating_add(1);
        Ok(Appended { dropped })
    }

    /// Ends the session being recorded. Even when this fails (full, or a
    /// flash error), the session is closed; it then lists as interrupted.
    pub fn end_session(&mut self) -> Result<(), StoreError<F::Error>> {
        let id = self.recording.take().ok_or(StoreError::NoSession)?;
        let result = self.append_entry(EntryKind::SessionEnd, &id.0.to_le_bytes(), true);
        if let Some(session) = self.index.iter_mut().rfind(|s| s.id == id) {
            session.state = match result {
                Ok(_) => StoredSessionState::Ended,
                Err(_) => StoredSessionState::Interrupted,
            };
        }
        result.map(|_| ())
    }

    /// Copies bytes of session `id`'s log, from byte `offset`, into `buf`:
    /// as many as fit or remain; returns how many. Reading on from where
    /// the last read stopped is cheap; jumping costs a walk through the
    /// session from its start.
    ///
    /// [`StoreError::UnknownSession`] if it is not stored;
    /// [`StoreError::OffsetOutOfRange`] if `offset` is beyond its length.
    pub fn read(
        &mut self,
        id: StoredSessionId,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<usize, StoreError<F::Error>> {
        let session = *self.session(id).ok_or(StoreError::UnknownSession)?;
        if offset > session.len {
            return Err(StoreError::OffsetOutOfRange);
        }
        let newest = self.head.map(|h| h.sector);
        let mut cursor = match self.cursor {
            Some(cursor) if cursor.id == id && cursor.offset == offset => cursor,
            _ => self.seek(&session, offset)?,
        };
        let mut copied = 0usize;
        let mut ignored = Anomalies::default();
        while copied < buf.len() {
            let mut probe = cursor.walk;
            let Some(entry) = probe.next(&mut self.region, newest, &mut ignored)? else {
                break;
            };
            match entry.kind {
                EntryKind::Record => {
                    let len = u32::from(entry.header.len);
                    let from = cursor.within.min(len);
                    let room = buf.len() - copied;
                    let n = (len - from).min(u32::try_from(room).unwrap_or(u32::MAX));
                    let dest = buf
                        .get_mut(copied..copied + n as usize)
                        .ok_or(StoreError::Internal)?;
                    self.region
                        .read_payload(entry.pos.sector, entry.pos.offset, from, dest)?;
                    copied += n as usize;
                    cursor.offset = cursor.offset.saturating_add(n);
                    if from + n == len {
                        cursor.walk = probe;
                        cursor.within = 0;
                    } else {
                        cursor.walk = Walk::at(entry.pos);
                        cursor.within = from + n;
                    }
                }
                EntryKind::SessionBegin | EntryKind::SessionEnd => break,
                EntryKind::EraseMark | EntryKind::Config => cursor.walk = probe,
            }
        }
        self.cursor = Some(cursor);
        Ok(copied)
    }

    /// A cursor `offset` bytes into `session`.
    fn seek(
        &mut self,
        session: &StoredSession,
        offset: u32,
    ) -> Result<ReadCursor, StoreError<F::Error>> {
        let newest = self.head.map(|h| h.sector);
        let mut walk = Walk::at(session.begin);
        let mut ignored = Anomalies::default();
        match walk.next(&mut self.region, newest, &mut ignored)? {
            Some(Walked {
                kind: EntryKind::SessionBegin,
                pos,
                ..
            }) if pos == session.begin => {}
            _ => return Err(StoreError::Internal),
        }
        let mut left = offset;
        let mut within = 0;
        while left > 0 {
            let mut probe = walk;
            let Some(entry) = probe.next(&mut self.region, newest, &mut ignored)? else {
                break;
            };
            match entry.kind {
                EntryKind::Record => {
                    let len = u32::from(entry.header.len);
                    if left >= len {
                        left -= len;
                        walk = probe;
                    } else {
                        within = left;
                        left = 0;
                    }
                }
                EntryKind::SessionBegin | EntryKind::SessionEnd => break,
                EntryKind::EraseMark | EntryKind::Config => walk = probe,
            }
        }
        Ok(ReadCursor {
            id: session.id,
            offset: offset - left,
            walk,
            within,
        })
    }

    /// Erases, ahead of need, up to `sectors` of the sectors the log will
    /// write next (those holding no data; it stops at the first one that
    /// does). Returns how many it erased. An erase takes tens of
    /// milliseconds and stalls the RP2040; done while idle (after mounting,
    /// after a session), a typical session then writes without erasing.
    pub fn prepare(&mut self, sectors: u16) -> Result<u16, StoreError<F::Error>> {
        let count = self.region.sectors();
        let mut sector = self.head.map_or(0, |h| h.sector);
        let mut erased = 0;
        for step in 0..sectors.min(count) {
            if step > 0 || self.head.is_some() {
                sector = if sector + 1 >= count { 0 } else { sector + 1 };
            }
            if self.head.is_some_and(|h| h.sector == sector) {
                break; // all the way round
            }
            match self.region.sector_state(sector)? {
                SectorState::Live(_) => break,
                SectorState::Erased | SectorState::Retired(_) | SectorState::Invalid => {
                    if self.region.erase_if_needed(sector)? {
                        erased += 1;
                    }
                }
            }
        }
        Ok(erased)
    }

    /// Erases every stored session except one being recorded; returns how
    /// many were erased.
    pub fn erase_all(&mut self) -> Result<u16, StoreError<F::Error>> {
        let last = match self.recording {
            Some(recording) => recording.0.checked_sub(1),
            None => self.next_session.checked_sub(1),
        };
        match last {
            Some(last) if last >= FIRST_SESSION => self.erase_through(StoredSessionId(last)),
            _ => Ok(0),
        }
    }

    /// Erases every session with an id up to `last`; returns how many were
    /// stored. Fails with [`StoreError::SessionOpen`], erasing nothing, if
    /// that would include the session being recorded.
    ///
    /// Sectors holding nothing newer are retired at once; sessions sharing
    /// a sector with newer ones are hidden by an erase mark and their bytes
    /// go when that sector is reused.
    pub fn erase_through(&mut self, last: StoredSessionId) -> Result<u16, StoreError<F::Error>> {
        if self.recording.is_some_and(|r| r <= last) {
            return Err(StoreError::SessionOpen);
        }
        self.cursor = None;
        let before = self.index.len();
        // Retire whole sectors, oldest first, while they hold nothing newer.
        let mut current: Option<u32> = None; // the session whose entries the walk is in
        let mut rounds = self.region.sectors();
        while let Some(oldest) = self.first_live()? {
            rounds = rounds.checked_sub(1).ok_or(StoreError::Internal)?;
            if self.sector_holds_newer(oldest.sector, last, &mut current)? {
                break;
            }
            if self.head.is_some_and(|h| h.sector == oldest.sector) {
                // The last live sector. Open a fresh one first: its header
                // keeps the session counter, so ids are never reused.
                self.open_next_sector()?;
                self.retire_sector(oldest.sector)?;
                break;
            }
            self.retire_sector(oldest.sector)?;
        }
        // Hide what remains.
        if self.index.iter().any(|s| s.id <= last) {
            self.append_entry(EntryKind::EraseMark, &last.0.to_le_bytes(), true)?;
            self.index.retain(|s| s.id > last);
        }
        // [`Usage::overwritten`] counts from the last erase.
        self.overwritten = 0;
        Ok((before - self.index.len()) as u16)
    }

    /// Whether `sector` holds entries of a session newer than `last`.
    /// `current` carries the session open at the end of the previous sector.
    fn sector_holds_newer(
        &mut self,
        sector: u16,
        last: StoredSessionId,
        current: &mut Option<u32>,
    ) -> Result<bool, StoreError<F::Error>> {
        let SectorState::Live(header) = self.region.sector_state(sector)? else {
            return Ok(false);
        };
        let start = Pos {
            sector,
            seq: header.seq,
            offset: self.region.entries_start(),
        };
        let mut walk = Walk::at(start);
        let mut ignored = Anomalies::default();
        // Walking with this sector as the end keeps the walk inside it.
        while let Some(entry) = walk.next(&mut self.region, Some(sector), &mut ignored)? {
            match entry.kind {
                EntryKind::SessionBegin => {
                    let begin = self.begin_payload(&entry)?;
                    *current = Some(begin.id);
                    if begin.id > last.0 {
                        return Ok(true);
                    }
                }
                EntryKind::Record => {
                    if current.is_some_and(|id| id > last.0) {
                        return Ok(true);
                    }
                }
                EntryKind::SessionEnd => *current = None,
                EntryKind::EraseMark | EntryKind::Config => {}
            }
        }
        Ok(false)
    }

    fn begin_payload(&mut self, entry: &Walked) -> Result<BeginPayload, StoreError<F::Error>> {
        let mut raw = [0u8; BeginPayload::LEN];
        if usize::from(entry.header.len) != BeginPayload::LEN {
            return Err(StoreError::Internal);
        }
        self.region
            .read_payload(entry.pos.sector, entry.pos.offset, 0, &mut raw)?;
        BeginPayload::decode(&raw).ok_or(StoreError::Internal)
    }

    fn u32_payload(&mut self, entry: &Walked) -> Result<Option<u32>, StoreError<F::Error>> {
        if entry.header.len != 4 {
            return Ok(None);
        }
        let mut raw = [0u8; 4];
        self.region
            .read_payload(entry.pos.sector, entry.pos.offset, 0, &mut raw)?;
        Ok(Some(u32::from_le_bytes(raw)))
    }

    /// The oldest live sector.
    fn first_live(&mut self) -> Result<Option<Pos>, StoreError<F::Error>> {
        match self.head {
            Some(head) => next_live_after(&mut self.region, head.sector, head.sector),
            None => Ok(None),
        }
    }

    /// Drops a live sector's data: marks it retired and forgets the sessions
    /// that begin in it.
    fn retire_sector(&mut self, sector: u16) -> Result<Option<Dropped>, StoreError<F::Error>> {
        let SectorState::Live(header) = self.region.sector_state(sector)? else {
            return Ok(None);
        };
        self.cursor = None;
        self.region.retire(sector)?;
        self.live_sectors = self.live_sectors.saturating_sub(1);
        if let Some(head) = self.head.as_mut().filter(|h| h.sector == sector) {
            head.write_at = None;
        }
        let mut dropped: Option<Dropped> = None;
        let in_sector = |s: &StoredSession| s.begin.sector == sector && s.begin.seq == header.seq;
        for session in self.index.iter().filter(|s| in_sector(s)) {
            dropped = Dropped::merge(
                dropped,
                Some(Dropped {
                    first: session.id,
                    last: session.id,
                    count: 1,
                    bytes: session.len,
                }),
            );
        }
        self.index.retain(|s| !in_sector(s));
        Ok(dropped)
    }

    /// Retires a live sector to make room (policy
    /// [`FullPolicy::OverwriteOldest`]): what it drops counts as
    /// overwritten, unlike what an erase retires.
    fn overwrite_sector(&mut self, sector: u16) -> Result<Option<Dropped>, StoreError<F::Error>> {
        let dropped = self.retire_sector(sector)?;
        if let Some(dropped) = dropped {
            self.overwritten = self.overwritten.saturating_add(u32::from(dropped.count));
        }
        Ok(dropped)
    }

    /// Writes an entry where it fits, making room by the policy; returns
    /// where it went and what was dropped for it. `last`: may use the final
    /// reserve.
    fn append_entry(
        &mut self,
        kind: EntryKind,
        payload: &[u8],
        last: bool,
    ) -> Result<(Pos, Option<Dropped>), StoreError<F::Error>> {
        if payload.len() > self.region.max_payload() {
            return Err(StoreError::TooLarge);
        }
        let size = self.region.entry_size(payload.len());
        let sector_size = self.region.sector_size();
        let count = self.region.sectors();
        let next_sector = self.head.map_or(0, |h| {
            if h.sector + 1 >= count {
                0
            } else {
                h.sector + 1
            }
        });
        let next_state = self.region.sector_state(next_sector)?;
        let next_live = matches!(next_state, SectorState::Live(_));
        let recording_begins_there = self.recording.is_some_and(|id| {
            self.index
                .iter()
                .any(|s| s.id == id && s.begin.sector == next_sector)
        });
        let blocked = next_live && (self.policy == FullPolicy::Stop || recording_begins_there);

        let mut dropped = None;
        let here = self.head.and_then(|h| h.write_at.map(|at| (h, at)));
        let (head, at) = match here {
            Some((head, at)) if at.saturating_add(size) <= sector_size => {
                let keep = if blocked && !last {
                    self.final_reserve
                } else {
                    0
                };
                if at.saturating_add(size).saturating_add(keep) > sector_size {
                    return Err(StoreError::Full);
                }
                (head, at)
            }
            _ => {
                if blocked {
                    return Err(StoreError::Full);
                }
                if next_live {
                    dropped = self.overwrite_sector(next_sector)?;
                }
                let head = self.open_next_sector()?;
                (head, self.region.entries_start())
            }
        };
        let pos = Pos {
            sector: head.sector,
            seq: head.seq,
            offset: at,
        };
        match self.region.write_entry(head.sector, at, kind, payload) {
            Ok(next) => {
                self.head = Some(Head {
                    write_at: Some(next),
                    ..head
                });
                Ok((pos, dropped))
            }
            Err(error) => {
                // What was written is unknown: never write after it.
                self.head = Some(Head {
                    write_at: None,
                    ..head
                });
                Err(error)
            }
        }
    }

    /// Makes the sector after the head (not live) the new, empty head.
    fn open_next_sector(&mut self) -> Result<Head, StoreError<F::Error>> {
        let count = self.region.sectors();
        let sector = self.head.map_or(0, |h| {
            if h.sector + 1 >= count {
                0
            } else {
                h.sector + 1
            }
        });
        let seq = self.next_seq;
        self.region.open_sector(sector, seq, self.next_session)?;
        self.next_seq = seq.saturating_add(1);
        self.live_sectors = self.live_sectors.saturating_add(1);
        let head = Head {
            sector,
            seq,
            write_at: Some(self.region.entries_start()),
        };
        self.head = Some(head);
        Ok(head)
    }

    /// Reads the whole region: finds the newest sector and where writing
    /// goes on, and lists the sessions.
    fn scan(&mut self) -> Result<MountReport, StoreError<F::Error>> {
        let mut report = MountReport {
            sectors: self.region.sectors(),
            ..MountReport::default()
        };
        let mut newest: Option<(u16, u32)> = None;
        let mut max_seq = 0u32;
        let mut max_next_session = FIRST_SESSION;
        for sector in 0..self.region.sectors() {
            let header = match self.region.sector_state(sector)? {
                SectorState::Live(header) => {
                    report.live_sectors += 1;
                    if newest.is_none_or(|(_, seq)| header.seq > seq) {
                        newest = Some((sector, header.seq));
                    }
                    header
                }
                SectorState::Retired(header) => header,
                SectorState::Erased | SectorState::Invalid => continue,
            };
            max_seq = max_seq.max(header.seq);
            max_next_session = max_next_session.max(header.next_session);
        }
        self.live_sectors = report.live_sectors;
        self.next_seq = max_seq.saturating_add(1);
        self.head = newest.map(|(sector, seq)| Head {
            sector,
            seq,
            write_at: None,
        });

        // Walk every entry: sessions, erase marks, the highest id.
        let newest_sector = self.head.map(|h| h.sector);
        let mut walk = Walk::from_start();
        let mut anomalies = Anomalies::default();
        let mut pending: Option<StoredSession> = None;
        let mut erased_through = 0u32;
        while let Some(entry) = walk.next(&mut self.region, newest_sector, &mut anomalies)? {
            match entry.kind {
                EntryKind::SessionBegin => {
                    let Ok(begin) = self.begin_payload(&entry) else {
                        anomalies.corrupt = anomalies.corrupt.saturating_add(1);
                        continue;
                    };
                    max_next_session = max_next_session.max(begin.id.saturating_add(1));
                    let session = StoredSession {
                        id: StoredSessionId(begin.id),
                        started_unix_ms: Some(begin.started_unix_ms).filter(|&ms| ms != 0),
                        len: 0,
                        records: 0,
                        state: StoredSessionState::Interrupted,
                        begin: entry.pos,
                    };
                    if let Some(previous) = pending.replace(session) {
                        self.index_at_mount(previous, erased_through, &mut report);
                    }
                }
                EntryKind::Record => match pending.as_mut() {
                    Some(session) => {
                        session.len = session.len.saturating_add(u32::from(entry.header.len));
                        session.records = session.records.saturating_add(1);
                    }
                    None => report.orphan_records = report.orphan_records.saturating_add(1),
                },
                EntryKind::SessionEnd => {
                    let id = self.u32_payload(&entry)?;
                    if let Some(mut session) = pending.take() {
                        if id == Some(session.id.0) {
                            session.state = StoredSessionState::Ended;
                        }
                        self.index_at_mount(session, erased_through, &mut report);
                    }
                }
                EntryKind::EraseMark => {
                    if let Some(through) = self.u32_payload(&entry)? {
                        erased_through = erased_through.max(through);
                        self.index.retain(|s| s.id.0 > erased_through);
                        pending = pending.filter(|s| s.id.0 > erased_through);
                    }
                }
                EntryKind::Config => {}
            }
        }
        if let Some(session) = pending.take() {
            self.index_at_mount(session, erased_through, &mut report);
        }
        self.next_session = max_next_session.max(erased_through.saturating_add(1));

        // Where writing goes on: after the newest sector's last entry, if
        // only erased bytes follow it.
        if let Some(head) = self.head.as_mut() {
            let mut walk = Walk::at(Pos {
                sector: head.sector,
                seq: head.seq,
                offset: self.region.entries_start(),
            });
            let mut ignored = Anomalies::default();
            let mut end = self.region.entries_start();
            while let Some(entry) = walk.next(&mut self.region, Some(head.sector), &mut ignored)? {
                end = entry.pos.offset + self.region.entry_size(usize::from(entry.header.len));
            }
            let clean_end = walk.at.is_some_and(|pos| pos.offset == end);
            head.write_at = if clean_end && self.region.is_erased_from(head.sector, end)? {
                Some(end)
            } else {
                None
            };
        }

        report.sessions = self.index.len() as u16;
        report.interrupted_sessions = self
            .index
            .iter()
            .filter(|s| s.state == StoredSessionState::Interrupted)
            .count() as u16;
        report.torn_writes = anomalies.torn;
        report.corrupt_entries = anomalies.corrupt;
        report.misordered_sectors = anomalies.misordered;
        Ok(report)
    }

    fn index_at_mount(
        &mut self,
        session: StoredSession,
        erased_through: u32,
        report: &mut MountReport,
    ) {
        if session.id.0 <= erased_through {
            return;
        }
        if self.index.is_full() {
            if !self.index.is_empty() {
                self.index.remove(0);
            }
            report.unindexed_sessions = report.unindexed_sessions.saturating_add(1);
        }
        // Cannot fail: there is room now (unless INDEX is 0, when nothing
        // is listed at all).
        let _ = self.index.push(session);
    }
}
