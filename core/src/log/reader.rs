//! The log reader: a byte stream in, intact records and damaged ranges out.

use core::ops::Range;

use super::frame::parse_decoded;
use crate::frame::cobs;
use crate::records::{Error, Record};

/// A stretch of the log that did not yield a record, and why.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Damage {
    /// The bytes concerned (a frame and its delimiter, if it has one).
    pub range: Range<usize>,
    /// Why they were not used.
    pub error: Error,
}

/// What [`LogReader`] finds, in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// An intact record.
    Record {
        /// Where its frame lies in the log, delimiter included.
        range: Range<usize>,
        /// The frame's format version.
        version: u8,
        /// The record.
        record: Record<'a>,
    },
    /// Bytes that did not decode; reading goes on after them.
    Damaged(Damage),
}

/// Reads a log — any number of sessions, as one byte stream of frames —
/// yielding every intact record and every damaged stretch, in order.
///
/// Damage never stops it: a frame that fails its COBS, CRC, version or
/// record checks is reported as [`Item::Damaged`] and reading resumes at
/// the next `0x00` delimiter, so every frame that is intact is found.
/// Runs of `0x00` (empty frames) and chunks made only of `0xFF` (erased
/// flash) are skipped silently. Bytes after the last delimiter are decoded
/// if they form an intact frame, else reported as [`Error::Unterminated`].
///
/// Records are views that borrow `scratch`, where the reader keeps the
/// decoded bytes of every frame: it must be at least as long as the log.
#[derive(Debug)]
pub struct LogReader<'a> {
    log: &'a [u8],
    pos: usize,
    scratch: &'a mut [u8],
}

impl<'a> LogReader<'a> {
    /// A reader over `log`, decoding into `scratch` (at least `log.len()`
    /// bytes, else [`Error::ScratchTooSmall`]).
    pub fn new(log: &'a [u8], scratch: &'a mut [u8]) -> Result<Self, Error> {
        if scratch.len() < log.len() {
            return Err(Error::ScratchTooSmall);
        }
        Ok(LogReader {
            log,
            pos: 0,
            scratch,
        })
    }

    /// Bytes of the log not yet read.
    pub fn remaining(&self) -> usize {
        self.log.len().saturating_sub(self.pos)
    }
}

impl<'a> Iterator for LogReader<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        loop {
            let rest = self.log.get(self.pos..)?;
            if rest.is_empty() {
                return None;
            }
            let start = self.pos;
            let (chunk, terminated) = match rest.iter().position(|&b| b == 0) {
                Some(len) => (rest.get(..len).unwrap_or(&[]), true),
                None => (rest, false),
            };
            let end = start + chunk.len() + usize::from(terminated);
            self.pos = end;
            if chunk.is_empty() || chunk.iter().all(|&b| b == 0xFF) {
                continue;
            }
            let range = start..end;
            // Each frame gets its own part of the scratch, so earlier
            // records stay valid; the log is never shorter than its frames
            // decode to.
            let scratch = core::mem::take(&mut self.scratch);
            let decoded = match cobs::decode(chunk, scratch) {
                Ok(n) => n,
                Err(_) => {
                    self.scratch = scratch;
                    let error = if terminated {
                        Error::Cobs
                    } else {
                        Error::Unterminated
                    };
                    return Some(Item::Damaged(Damage { range, error }));
                }
            };
            let Some((frame, after)) = scratch.split_at_mut_checked(decoded) else {
                return Some(Item::Damaged(Damage {
                    range,
                    error: Error::ScratchTooSmall,
                }));
            };
            self.scratch = after;
            let frame: &'a [u8] = frame;
            return Some(match parse_decoded(frame) {
                Ok((version, record)) => Item::Record {
                    range,
                    version,
                    record,
                },
                Err(error) => Item::Damaged(Damage {
                    range,
                    error: if terminated {
                        error
                    } else {
                        Error::Unterminated
                    },
                }),
            });
        }
    }
}
