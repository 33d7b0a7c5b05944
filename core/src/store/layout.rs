//! The bytes the store puts on flash: sector headers and entries.
//!
//! Everything is little-endian. `A` below is the write alignment: the flash's
//! `WRITE_SIZE` (1 on the RP2040), and every written item starts and ends on a
//! multiple of it (padding is `0xFF`, which programs nothing).
//!
//! ## Sector
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic: `"TTL1"` for the session log, `"TTC1"` for the configuration |
//! | 4 | 4 | `seq`: sector sequence number, one more than the previous sector opened |
//! | 8 | 4 | `next_session`: the session id counter when the sector was opened |
//! | 12 | 4 | CRC-32C of bytes 0..12 |
//! | align(16, A) | 4 | retire word: `FFFF_FFFF` while live, anything else once retired |
//! | align(20, A)… | | entries, back to back, until the first erased entry header |
//!
//! A sector is *erased* (header all `0xFF`), *live* (header CRC good, retire
//! word erased), *retired* (its data is dropped; it is erased before reuse) or
//! *invalid* (anything else: an erase or header write cut by power loss).
//!
//! ## Entry
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | CRC-32C of bytes 4..8 and the payload |
//! | 4 | 2 | `len`: payload length |
//! | 6 | 1 | kind: 1 session begin, 2 record, 3 session end, 4 erase mark, 16 configuration |
//! | 7 | 1 | reserved, 0 |
//! | 8 | len | payload, then `0xFF` padding to a multiple of A |
//!
//! Payloads: *session begin* is `id: u32, started_unix_ms: u64` (0 = clock
//! not set), *record* is one log frame as the log writer made it, *session
//! end* is `id: u32`, *erase mark* is `through: u32` (sessions with ids up to
//! it count as erased although some of their bytes remain, in sectors shared
//! with newer sessions), *configuration* is the caller's bytes.
//!
//! An entry header is never all `0xFF` (`len` is below `0xFF00`), so the
//! first all-`0xFF` header marks where writing stops. The CRC covers the
//! whole entry, so an entry cut short by power loss reads as *torn*, never as
//! a different valid entry.

use crate::frame::CRC32C;

/// Magic of a session-log sector: "TTL1".
pub(crate) const MAGIC_LOG: u32 = u32::from_le_bytes(*b"TTL1");
/// Magic of a configuration sector: "TTC1".
pub(crate) const MAGIC_CONFIG: u32 = u32::from_le_bytes(*b"TTC1");

/// Size of the sector header without padding.
pub(crate) const SECTOR_HEADER_LEN: usize = 16;
/// Size of the retire word without padding.
pub(crate) const RETIRE_LEN: usize = 4;
/// Size of an entry header.
pub(crate) const ENTRY_HEADER_LEN: usize = 8;
/// The largest write alignment the store supports.
pub(crate) const MAX_ALIGN: usize = 32;

/// What an entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    SessionBegin,
    Record,
    SessionEnd,
    EraseMark,
    Config,
}

impl EntryKind {
    pub(crate) const fn code(self) -> u8 {
        match self {
            EntryKind::SessionBegin => 1,
            EntryKind::Record => 2,
            EntryKind::SessionEnd => 3,
            EntryKind::EraseMark => 4,
            EntryKind::Config => 16,
        }
    }

    pub(crate) const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(EntryKind::SessionBegin),
            2 => Some(EntryKind::Record),
            3 => Some(EntryKind::SessionEnd),
            4 => Some(EntryKind::EraseMark),
            16 => Some(EntryKind::Config),
            _ => None,
        }
    }
}

/// `value` rounded up to a multiple of `align` (a power of two or any
/// positive number); saturates instead of overflowing.
pub(crate) const fn align_up(value: u32, align: u32) -> u32 {
    if align <= 1 {
        return value;
    }
    match value.checked_add(align - 1) {
        Some(v) => v / align * align,
        None => u32::MAX / align * align,
    }
}

/// A decoded, CRC-checked sector header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SectorHeader {
    pub(crate) magic: u32,
    pub(crate) seq: u32,
    pub(crate) next_session: u32,
}

impl SectorHeader {
    pub(crate) fn encode(&self) -> [u8; SECTOR_HEADER_LEN] {
        let mut out = [0u8; SECTOR_HEADER_LEN];
        let (body, crc) = out.split_at_mut(12);
        let (magic, rest) = body.split_at_mut(4);
        let (seq, next) = rest.split_at_mut(4);
        magic.copy_from_slice(&self.magic.to_le_bytes());
        seq.copy_from_slice(&self.seq.to_le_bytes());
        next.copy_from_slice(&self.next_session.to_le_bytes());
        crc.copy_from_slice(&CRC32C.checksum(body).to_le_bytes());
        out
    }

    /// The header in `bytes`, if its CRC holds.
    pub(crate) fn decode(bytes: &[u8; SECTOR_HEADER_LEN]) -> Option<Self> {
        let word = |i: usize| -> u32 {
            let mut w = [0u8; 4];
            if let Some(src) = bytes.get(i..i + 4) {
                w.copy_from_slice(src);
            }
            u32::from_le_bytes(w)
        };
        let body = bytes.get(..12)?;
        if CRC32C.checksum(body) != word(12) {
            return None;
        }
        Some(SectorHeader {
            magic: word(0),
            seq: word(4),
            next_session: word(8),
        })
    }
}

/// A decoded entry header (its CRC is checked against the payload later).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryHeader {
    pub(crate) crc: u32,
    pub(crate) len: u16,
    pub(crate) kind_code: u8,
    pub(crate) reserved: u8,
}

impl EntryHeader {
    pub(crate) fn new(kind: EntryKind, payload: &[u8]) -> Option<Self> {
        let len = u16::try_from(payload.len()).ok()?;
        let mut header = EntryHeader {
            crc: 0,
            len,
            kind_code: kind.code(),
            reserved: 0,
        };
        let mut digest = CRC32C.digest();
        digest.update(&header.checked_bytes());
        digest.update(payload);
        header.crc = digest.finalize();
        Some(header)
    }

    /// Bytes 4..8: what the CRC covers besides the payload.
    pub(crate) fn checked_bytes(&self) -> [u8; 4] {
        let len = self.len.to_le_bytes();
        [len[0], len[1], self.kind_code, self.reserved]
    }

    pub(crate) fn encode(&self) -> [u8; ENTRY_HEADER_LEN] {
        let crc = self.crc.to_le_bytes();
        let rest = self.checked_bytes();
        [
            crc[0], crc[1], crc[2], crc[3], rest[0], rest[1], rest[2], rest[3],
        ]
    }

    pub(crate) fn decode(bytes: &[u8; ENTRY_HEADER_LEN]) -> Self {
        let [c0, c1, c2, c3, l0, l1, kind_code, reserved] = *bytes;
        EntryHeader {
            crc: u32::from_le_bytes([c0, c1, c2, c3]),
            len: u16::from_le_bytes([l0, l1]),
            kind_code,
            reserved,
        }
    }

    pub(crate) fn kind(&self) -> Option<EntryKind> {
        EntryKind::from_code(self.kind_code)
    }
}

/// Payload of a session-begin entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BeginPayload {
    pub(crate) id: u32,
    pub(crate) started_unix_ms: u64,
}

impl BeginPayload {
    pub(crate) const LEN: usize = 12;

    pub(crate) fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        let (id, started) = out.split_at_mut(4);
        id.copy_from_slice(&self.id.to_le_bytes());
        started.copy_from_slice(&self.started_unix_ms.to_le_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let id: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
        let started: [u8; 8] = bytes.get(4..12)?.try_into().ok()?;
        Some(BeginPayload {
            id: u32::from_le_bytes(id),
            started_unix_ms: u64::from_le_bytes(started),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn sector_header_round_trips_and_rejects_damage() {
        let header = SectorHeader {
            magic: MAGIC_LOG,
            seq: 7,
            next_session: 3,
        };
        let mut bytes = header.encode();
        assert_eq!(&bytes[..4], b"TTL1");
        assert_eq!(SectorHeader::decode(&bytes), Some(header));
        bytes[5] ^= 1;
        assert_eq!(SectorHeader::decode(&bytes), None);
        assert_eq!(SectorHeader::decode(&[0xFF; SECTOR_HEADER_LEN]), None);
    }

    #[test]
    fn entry_header_is_never_all_erased() {
        let header = EntryHeader::new(EntryKind::Record, &[0xFF; 4000]).unwrap();
        assert_ne!(header.encode(), [0xFF; ENTRY_HEADER_LEN]);
        assert_eq!(EntryHeader::decode(&header.encode()), header);
    }

    #[test]
    fn align_up_rounds_and_saturates() {
        assert_eq!(align_up(13, 1), 13);
        assert_eq!(align_up(13, 4), 16);
        assert_eq!(align_up(16, 4), 16);
        assert_eq!(align_up(u32::MAX, 4), u32::MAX / 4 * 4);
    }
}
