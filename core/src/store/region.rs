//! A flash region cut into sectors that hold entries (see [`super::layout`]):
//! the reads, writes and erases both stores are made of.

use embedded_storage::nor_flash::NorFlash;

use super::layout::{
    align_up, EntryHeader, EntryKind, SectorHeader, ENTRY_HEADER_LEN, MAX_ALIGN, RETIRE_LEN,
    SECTOR_HEADER_LEN,
};
use super::StoreError;
use crate::frame::CRC32C;

/// Bytes read at once when checking or copying; on the stack.
const CHUNK: usize = 64;

/// What a sector holds, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SectorState {
    /// The header is erased: the sector may be unused (check before writing).
    Erased,
    /// In use.
    Live(SectorHeader),
    /// Its data was dropped; the header is still readable.
    Retired(SectorHeader),
    /// Neither: an interrupted erase or header write, or another format.
    Invalid,
}

/// What lies at an offset in a sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryAt {
    /// A whole, CRC-checked entry; the next one starts at `next`.
    Entry {
        header: EntryHeader,
        kind: EntryKind,
        next: u32,
    },
    /// Erased: nothing more was written in this sector.
    End,
    /// A write cut short by power loss: bad, and only erased bytes follow.
    Torn,
    /// A damaged entry. `resume`: where the next entry seems to start, when
    /// the damaged one's length is believable.
    Corrupt { resume: Option<u32> },
}

/// A sector-structured region: the whole of a [`NorFlash`].
pub(crate) struct Region<F> {
    pub(crate) flash: F,
    magic: u32,
    sector_size: u32,
    sectors: u16,
    align: u32,
}

impl<F: NorFlash> Region<F> {
    /// The region over all of `flash`, or why it cannot hold a store.
    pub(crate) fn new(
        flash: F,
        magic: u32,
        min_sectors: u16,
    ) -> Result<Self, StoreError<F::Error>> {
        let align = F::WRITE_SIZE.max(1);
        let sector_size = F::ERASE_SIZE;
        let supported = F::READ_SIZE <= 1
            && align <= MAX_ALIGN
            && MAX_ALIGN % align == 0
            && (256..=0x1_0000).contains(&sector_size)
            && sector_size % align == 0;
        if !supported {
            return Err(StoreError::UnsupportedFlash);
        }
        let sectors = flash.capacity() / sector_size;
        let sectors = u16::try_from(sectors).map_err(|_| StoreError::UnsupportedFlash)?;
        if sectors < min_sectors {
            return Err(StoreError::RegionTooSmall);
        }
        Ok(Region {
            flash,
            magic,
            sector_size: sector_size as u32,
            sectors,
            align: align as u32,
        })
    }

    pub(crate) fn sectors(&self) -> u16 {
        self.sectors
    }

    pub(crate) fn sector_size(&self) -> u32 {
        self.sector_size
    }

    fn retire_offset(&self) -> u32 {
        align_up(SECTOR_HEADER_LEN as u32, self.align)
    }

    /// Where a sector's first entry starts.
    pub(crate) fn entries_start(&self) -> u32 {
        align_up(self.retire_offset() + RETIRE_LEN as u32, self.align)
    }

    /// Bytes an entry with a payload of `len` occupies.
    pub(crate) fn entry_size(&self, len: usize) -> u32 {
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        align_up(len.saturating_add(ENTRY_HEADER_LEN as u32), self.align)
    }

    /// The longest payload one entry can carry.
    pub(crate) fn max_payload(&self) -> usize {
        let room = self.sector_size - self.entries_start();
        // `align` is at least 1 (checked in `new`); `max` tells the compiler.
        let room = room / self.align.max(1) * self.align;
        (room as usize - ENTRY_HEADER_LEN).min(0xFF00)
    }

    fn address(&self, sector: u16, offset: u32) -> u32 {
        u32::from(sector) * self.sector_size + offset
    }

    pub(crate) fn read(
        &mut self,
        sector: u16,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<(), StoreError<F::Error>> {
        let address = self.address(sector, offset);
        self.flash.read(address, buf).map_err(StoreError::Flash)
    }

    pub(crate) fn sector_state(
        &mut self,
        sector: u16,
    ) -> Result<SectorState, StoreError<F::Error>> {
        let mut raw = [0u8; SECTOR_HEADER_LEN];
        self.read(sector, 0, &mut raw)?;
        if raw == [0xFF; SECTOR_HEADER_LEN] {
            return Ok(SectorState::Erased);
        }
        let header = match SectorHeader::decode(&raw) {
            Some(header) if header.magic == self.magic => header,
            _ => return Ok(SectorState::Invalid),
        };
        let mut retire = [0u8; RETIRE_LEN];
        self.read(sector, self.retire_offset(), &mut retire)?;
        Ok(if retire == [0xFF; RETIRE_LEN] {
            SectorState::Live(header)
        } else {
            SectorState::Retired(header)
        })
    }

    /// Whether every byte of the sector from `offset` on is erased.
    pub(crate) fn is_erased_from(
        &mut self,
        sector: u16,
        offset: u32,
    ) -> Result<bool, StoreError<F::Error>> {
        let mut at = offset;
        let mut chunk = [0u8; CHUNK];
        while at < self.sector_size {
            let n = (self.sector_size - at).min(CHUNK as u32) as usize;
            let buf = chunk.get_mut(..n).ok_or(StoreError::Internal)?;
            self.read(sector, at, buf)?;
            if buf.iter().any(|&b| b != 0xFF) {
                return Ok(false);
            }
            at += n as u32;
        }
        Ok(true)
    }

    /// Erases the sector unless every byte of it is erased already; returns
    /// whether it erased.
    pub(crate) fn erase_if_needed(&mut self, sector: u16) -> Result<bool, StoreError<F::Error>> {
        if self.is_erased_from(sector, 0)? {
            return Ok(false);
        }
        let from = self.address(sector, 0);
        self.flash
            .erase(from, from + self.sector_size)
            .map_err(StoreError::Flash)?;
        Ok(true)
    }

    /// Erases the sector (unless it is erased already) and writes a header:
    /// after this it is live and empty.
    pub(crate) fn open_sector(
        &mut self,
        sector: u16,
        seq: u32,
        next_session: u32,
    ) -> Result<(), StoreError<F::Error>> {
        self.erase_if_needed(sector)?;
        let header = SectorHeader {
            magic: self.magic,
            seq,
            next_session,
        };
        self.write_padded(sector, 0, &header.encode(), &[])?;
        Ok(())
    }

    /// Marks a live sector's data as dropped, before it is erased for reuse:
    /// a power cut during that erase then leaves a sector that reads as
    /// retired or invalid, never as live with damaged entries.
    pub(crate) fn retire(&mut self, sector: u16) -> Result<(), StoreError<F::Error>> {
        self.write_padded(sector, self.retire_offset(), &[0; RETIRE_LEN], &[])?;
        Ok(())
    }

    /// Writes `head` then `tail` at `offset` (aligned), padded with `0xFF`
    /// to the write alignment; returns the offset after the padding.
    fn write_padded(
        &mut self,
        sector: u16,
        offset: u32,
        head: &[u8],
        tail: &[u8],
    ) -> Result<u32, StoreError<F::Error>> {
        // At least 1 (checked in `new`): `max` drops a division-by-zero panic path.
        let align = (self.align as usize).max(1);
        let mut staging = [0xFFu8; MAX_ALIGN];
        let mut staged = 0usize;
        let mut at = self.address(sector, offset);
        let write =
            |flash: &mut F, at: &mut u32, bytes: &[u8]| -> Result<(), StoreError<F::Error>> {
                if bytes.is_empty() {
                    return Ok(());
                }
                flash.write(*at, bytes).map_err(StoreError::Flash)?;
                *at += bytes.len() as u32;
                Ok(())
            };
        for part in [head, tail] {
            let mut rest = part;
            // Top up a partly filled staging block first.
            if staged > 0 {
                let take = (align - staged).min(rest.len());
                let (now, later) = rest.split_at(take);
                staging
                    .get_mut(staged..staged + take)
                    .ok_or(StoreError::Internal)?
                    .copy_from_slice(now);
                staged += take;
                rest = later;
                if staged == align {
                    write(
                        &mut self.flash,
                        &mut at,
                        staging.get(..align).ok_or(StoreError::Internal)?,
                    )?;
                    staging = [0xFF; MAX_ALIGN];
                    staged = 0;
                }
            }
            if staged > 0 {
                continue; // `rest` is empty: the block waits for more bytes
            }
            // Whole aligned blocks go straight from the caller's bytes.
            let whole = rest.len() / align * align;
            let (direct, left) = rest.split_at(whole);
            write(&mut self.flash, &mut at, direct)?;
            staging
                .get_mut(..left.len())
                .ok_or(StoreError::Internal)?
                .copy_from_slice(left);
            staged = left.len();
        }
        if staged > 0 {
            write(
                &mut self.flash,
                &mut at,
                staging.get(..align).ok_or(StoreError::Internal)?,
            )?;
        }
        Ok(at - self.address(sector, 0))
    }

    /// Appends an entry at `offset`; the caller made sure it fits. Returns
    /// where the next entry goes.
    pub(crate) fn write_entry(
        &mut self,
        sector: u16,
        offset: u32,
        kind: EntryKind,
        payload: &[u8],
    ) -> Result<u32, StoreError<F::Error>> {
        if payload.len() > self.max_payload() {
            return Err(StoreError::TooLarge);
        }
        let header = EntryHeader::new(kind, payload).ok_or(StoreError::TooLarge)?;
        if offset.saturating_add(self.entry_size(payload.len())) > self.sector_size {
            return Err(StoreError::Internal);
        }
        self.write_padded(sector, offset, &header.encode(), payload)
    }

    /// Reads and checks the entry at `offset`.
    pub(crate) fn entry_at(
        &mut self,
        sector: u16,
        offset: u32,
    ) -> Result<EntryAt, StoreError<F::Error>> {
        if offset.saturating_add(ENTRY_HEADER_LEN as u32) > self.sector_size {
            return Ok(EntryAt::End);
        }
        let mut raw = [0u8; ENTRY_HEADER_LEN];
        self.read(sector, offset, &mut raw)?;
        if raw == [0xFF; ENTRY_HEADER_LEN] {
            return Ok(EntryAt::End);
        }
        let header = EntryHeader::decode(&raw);
        let size = self.entry_size(usize::from(header.len));
        let believable = usize::from(header.len) <= self.max_payload()
            && offset.saturating_add(size) <= self.sector_size;
        if believable {
            if let Some(kind) = header.kind().filter(|_| header.reserved == 0) {
                if self.payload_crc(sector, offset, &header)? == header.crc {
                    return Ok(EntryAt::Entry {
                        header,
                        kind,
                        next: offset + size,
                    });
                }
            }
        }
        // Damaged. A write cut short leaves only erased bytes after what it
        // had written; anything else is corruption.
        let after = if believable {
            offset + size
        } else {
            offset + ENTRY_HEADER_LEN as u32
        };
        if self.is_erased_from(sector, after)? {
            Ok(EntryAt::Torn)
        } else {
            Ok(EntryAt::Corrupt {
                resume: believable.then_some(after),
            })
        }
    }

    fn payload_crc(
        &mut self,
        sector: u16,
        offset: u32,
        header: &EntryHeader,
    ) -> Result<u32, StoreError<F::Error>> {
        let mut digest = CRC32C.digest();
        digest.update(&header.checked_bytes());
        let mut at = offset + ENTRY_HEADER_LEN as u32;
        let mut left = usize::from(header.len);
        let mut chunk = [0u8; CHUNK];
        while left > 0 {
            let n = left.min(CHUNK);
            let buf = chunk.get_mut(..n).ok_or(StoreError::Internal)?;
            self.read(sector, at, buf)?;
            digest.update(buf);
            at += n as u32;
            left -= n;
        }
        Ok(digest.finalize())
    }

    /// Copies payload bytes `from..from + buf.len()` of the entry at `offset`.
    pub(crate) fn read_payload(
        &mut self,
        sector: u16,
        offset: u32,
        from: u32,
        buf: &mut [u8],
    ) -> Result<(), StoreError<F::Error>> {
        let at = offset + ENTRY_HEADER_LEN as u32 + from;
        self.read(sector, at, buf)
    }
}
