//! Walking the session log's entries in the order they were written: sector
//! by sector around the ring, from the oldest live sector to the newest.

use embedded_storage::nor_flash::NorFlash;

use super::layout::{EntryHeader, EntryKind};
use super::region::{EntryAt, Region, SectorState};
use super::StoreError;

/// A place in the log: the next entry to look at. Resumable: a walk that
/// reached the end of the newest sector continues there once more is
/// written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Walk {
    /// `None`: not started; the walk begins at the oldest live sector.
    pub(crate) at: Option<Pos>,
}

/// An entry's position: sector, the sector's sequence number (to tell a
/// reused sector from the one a position was taken in) and offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Pos {
    pub(crate) sector: u16,
    pub(crate) seq: u32,
    pub(crate) offset: u32,
}

/// An entry the walk passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Walked {
    pub(crate) pos: Pos,
    pub(crate) header: EntryHeader,
    pub(crate) kind: EntryKind,
}

/// What a walk found that is not a whole entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Anomalies {
    pub(crate) torn: u32,
    pub(crate) corrupt: u32,
    pub(crate) misordered: u16,
}

impl Walk {
    pub(crate) const fn from_start() -> Self {
        Walk { at: None }
    }

    /// A walk whose next entry is the one at `pos`.
    pub(crate) const fn at(pos: Pos) -> Self {
        Walk { at: Some(pos) }
    }

    /// The next whole entry, or `None` at the end of what is written so far.
    /// `newest` is the sector being written (the end of the ring).
    pub(crate) fn next<F: NorFlash>(
        &mut self,
        region: &mut Region<F>,
        newest: Option<u16>,
        anomalies: &mut Anomalies,
    ) -> Result<Option<Walked>, StoreError<F::Error>> {
        let Some(newest) = newest else {
            return Ok(None);
        };
        let mut pos = match self.at {
            Some(pos) => pos,
            None => match next_live_after(region, newest, newest)? {
                Some(pos) => pos,
                None => return Ok(None),
            },
        };
        // Every step moves forward in a sector or to a later sector, so
        // this ends; the bound is a second guarantee.
        let max_steps = u32::from(region.sectors()).saturating_mul(region.sector_size());
        for _ in 0..max_steps {
            match region.entry_at(pos.sector, pos.offset)? {
                EntryAt::Entry { header, kind, next } => {
                    self.at = Some(Pos {
                        offset: next,
                        ..pos
                    });
                    return Ok(Some(Walked { pos, header, kind }));
                }
                EntryAt::Corrupt {
                    resume: Some(resume),
                } => {
                    anomalies.corrupt = anomalies.corrupt.saturating_add(1);
                    pos.offset = resume;
                    continue;
                }
                EntryAt::Corrupt { resume: None } => {
                    anomalies.corrupt = anomalies.corrupt.saturating_add(1);
                }
                EntryAt::Torn => anomalies.torn = anomalies.torn.saturating_add(1),
                EntryAt::End => {}
            }
            // This sector holds no more: go on in the next live one.
            if pos.sector == newest {
                self.at = Some(pos);
                return Ok(None);
            }
            match next_live_after(region, pos.sector, newest)? {
                Some(next) => {
                    if next.seq <= pos.seq {
                        anomalies.misordered = anomalies.misordered.saturating_add(1);
                    }
                    pos = next;
                }
                None => {
                    self.at = Some(pos);
                    return Ok(None);
                }
            }
        }
        Err(StoreError::Internal)
    }
}

/// The first live sector after `sector` around the ring, not going past
/// `newest`; its first entry position.
pub(crate) fn next_live_after<F: NorFlash>(
    region: &mut Region<F>,
    sector: u16,
    newest: u16,
) -> Result<Option<Pos>, StoreError<F::Error>> {
    let count = region.sectors();
    let mut index = sector;
    for _ in 0..count {
        index = if index + 1 >= count { 0 } else { index + 1 };
        if let SectorState::Live(header) = region.sector_state(index)? {
            return Ok(Some(Pos {
                sector: index,
                seq: header.seq,
                offset: region.entries_start(),
            }));
        }
        if index == newest {
            return Ok(None);
        }
    }
    Ok(None)
}
