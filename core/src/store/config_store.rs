//! A small power-loss-safe slot for the device configuration: each save
//! appends a new copy, the newest whole copy wins.

use embedded_storage::nor_flash::NorFlash;

use super::layout::{EntryKind, MAGIC_CONFIG};
use super::region::{EntryAt, Region, SectorState};
use super::StoreError;

/// The newest configuration copy kept in at least two flash sectors.
///
/// A save appends a copy to the current sector; when it is full, the other
/// sector is erased and takes the copy. A power cut at any moment leaves
/// either the new copy or the previous one readable, never neither (after
/// the first save).
///
/// The bytes are the caller's (the firmware stores a postcard-encoded
/// configuration).
///
/// ```
/// use tabletalk_core::store::{ConfigStore, RamFlash};
/// let mut slot = ConfigStore::mount(RamFlash::<{ 2 * 4096 }>::new()).unwrap();
/// let mut buf = [0u8; 64];
/// assert_eq!(slot.load(&mut buf).unwrap(), None);
/// slot.save(b"seats: 4").unwrap();
/// slot.save(b"seats: 6").unwrap();
/// let mut slot = ConfigStore::mount(slot.release()).unwrap();
/// let n = slot.load(&mut buf).unwrap().unwrap();
/// assert_eq!(&buf[..n], b"seats: 6");
/// ```
pub struct ConfigStore<F: NorFlash> {
    region: Region<F>,
    /// The newest live sector, its sequence number, and where the next copy
    /// goes in it (`None`: it takes no more).
    head: Option<(u16, u32, Option<u32>)>,
    next_seq: u32,
}

impl<F: NorFlash> ConfigStore<F> {
    /// Takes over `flash` (at least two sectors). Nothing is written.
    pub fn mount(flash: F) -> Result<Self, StoreError<F::Error>> {
        let region = Region::new(flash, MAGIC_CONFIG, 2)?;
        let mut store = ConfigStore {
            region,
            head: None,
            next_seq: 1,
        };
        let mut max_seq = 0;
        for sector in 0..store.region.sectors() {
            let (header, live) = match store.region.sector_state(sector)? {
                SectorState::Live(header) => (header, true),
                SectorState::Retired(header) => (header, false),
                SectorState::Erased | SectorState::Invalid => continue,
            };
            max_seq = max_seq.max(header.seq);
            if live && store.head.is_none_or(|(_, seq, _)| header.seq > seq) {
                store.head = Some((sector, header.seq, None));
            }
        }
        store.next_seq = max_seq.saturating_add(1);
        if let Some((sector, seq, _)) = store.head {
            let (_, end, clean) = store.last_copy(sector)?;
            let write_at = if clean { Some(end) } else { None };
            store.head = Some((sector, seq, write_at));
        }
        Ok(store)
    }

    /// Gives the flash back.
    pub fn release(self) -> F {
        self.region.flash
    }

    /// The largest configuration that fits.
    pub fn max_len(&self) -> usize {
        self.region.max_payload()
    }

    /// Copies the newest saved configuration into `buf`; returns its length,
    /// or `None` if none was ever saved. [`StoreError::TooLarge`] if `buf`
    /// is too short for it.
    pub fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StoreError<F::Error>> {
        let Some((sector, offset, len)) = self.latest_copy()? else {
            return Ok(None);
        };
        let dest = buf.get_mut(..len).ok_or(StoreError::TooLarge)?;
        self.region.read_payload(sector, offset, 0, dest)?;
        Ok(Some(len))
    }

    /// Where the newest whole copy is: sector, offset, length.
    #[allow(clippy::type_complexity)]
    fn latest_copy(&mut self) -> Result<Option<(u16, u32, usize)>, StoreError<F::Error>> {
        // Newest sector first; an older one if the newest holds no copy (a
        // power cut right after it was opened).
        let mut below = u32::MAX;
        for _ in 0..self.region.sectors() {
            let mut best: Option<(u16, u32)> = None;
            for sector in 0..self.region.sectors() {
                if let SectorState::Live(header) = self.region.sector_state(sector)? {
                    if header.seq < below && best.is_none_or(|(_, seq)| header.seq > seq) {
                        best = Some((sector, header.seq));
                    }
                }
            }
            let Some((sector, seq)) = best else {
                return Ok(None);
            };
            if let (Some((offset, len)), _, _) = self.last_copy(sector)? {
                return Ok(Some((sector, offset, len)));
            }
            below = seq;
        }
        Ok(None)
    }

    /// Saves a new configuration; the previous one stays readable until
    /// this one is whole.
    pub fn save(&mut self, bytes: &[u8]) -> Result<(), StoreError<F::Error>> {
        if bytes.len() > self.region.max_payload() {
            return Err(StoreError::TooLarge);
        }
        let size = self.region.entry_size(bytes.len());
        let (sector, seq, at) = match self.head {
            Some((sector, seq, Some(at)))
                if at.saturating_add(size) <= self.region.sector_size() =>
            {
                (sector, seq, at)
            }
            head => {
                // The next sector round the ring, but never the one holding
                // the newest copy: that must survive until this one is whole.
                let keep = self.latest_copy()?.map(|(sector, _, _)| sector);
                let count = self.region.sectors();
                let mut sector = head.map_or(0, |(s, _, _)| s);
                for _ in 0..count {
                    sector = if sector + 1 >= count { 0 } else { sector + 1 };
                    if Some(sector) != keep {
                        break;
                    }
                }
                let seq = self.next_seq;
                self.region.open_sector(sector, seq, 0)?;
                self.next_seq = seq.saturating_add(1);
                (sector, seq, self.region.entries_start())
            }
        };
        let written = self
            .region
            .write_entry(sector, at, EntryKind::Config, bytes);
        self.head = Some((sector, seq, written.as_ref().ok().copied()));
        written.map(|_| ())
    }

    /// The last whole copy in `sector` (offset, length); where entries end;
    /// whether only erased bytes follow.
    #[allow(clippy::type_complexity)]
    fn last_copy(
        &mut self,
        sector: u16,
    ) -> Result<(Option<(u32, usize)>, u32, bool), StoreError<F::Error>> {
        let mut offset = self.region.entries_start();
        let mut last = None;
        loop {
            match self.region.entry_at(sector, offset)? {
                EntryAt::Entry { header, kind, next } => {
                    if kind == EntryKind::Config {
                        last = Some((offset, usize::from(header.len)));
                    }
                    offset = next;
                }
                EntryAt::Corrupt {
                    resume: Some(resume),
                } => offset = resume,
                EntryAt::End => {
                    let clean = self.region.is_erased_from(sector, offset)?;
                    return Ok((last, offset, clean));
                }
                EntryAt::Torn | EntryAt::Corrupt { resume: None } => {
                    return Ok((last, offset, false))
                }
            }
        }
    }
}
