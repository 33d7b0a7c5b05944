//! `tabletalk device pull`: copies sessions from a device into log files.
//!
//! Safe by construction:
//! - each file is written as `.<name>.partial` next to its final name,
//!   flushed to disk, read back and compared with the device's CRC-32C of
//!   the session, and only then renamed: a file with the final name is
//!   always complete and verified;
//! - an interrupted pull resumes from the `.partial` file (and starts over
//!   if the result does not verify);
//! - a session already pulled (same name, same bytes) is skipped; a
//!   different file that happens to have the name is never overwritten;
//! - nothing is erased on the device unless asked, and then only sessions
//!   that are verified on disk.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use tabletalk_core::frame::CRC32C;
use tabletalk_core::protocol::{
    EraseScope, SessionChecksum, SessionInfo, StoredSessionId, MAX_CHUNK,
};

use super::client::DeviceClient;
use super::naming::{session_file_name, LOG_EXTENSION};
use super::transport::Transport;

/// What to pull.
#[derive(Clone, Debug, Default)]
pub struct PullOptions {
    /// Where to put the files (created if missing).
    pub out_dir: PathBuf,
    /// Only these sessions (all if empty).
    pub only: Vec<StoredSessionId>,
    /// Erase the pulled sessions from the device once verified on disk.
    pub erase_after: bool,
}

/// What happened to one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullOutcome {
    /// Written and verified.
    Pulled {
        /// Which.
        session: StoredSessionId,
        /// Where.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// Bytes that were already there from an interrupted pull.
        resumed_from: u64,
    },
    /// An identical file is already there.
    AlreadyPulled {
        /// Which.
        session: StoredSessionId,
        /// The existing file.
        path: PathBuf,
    },
    /// Still being recorded: pulled once it is closed.
    StillRecording {
        /// Which.
        session: StoredSessionId,
    },
    /// What was received did not match the device's checksum, twice.
    Failed {
        /// Which.
        session: StoredSessionId,
        /// Why.
        reason: String,
    },
}

impl PullOutcome {
    /// The session this is about.
    pub fn session(&self) -> StoredSessionId {
        match self {
            PullOutcome::Pulled { session, .. }
            | PullOutcome::AlreadyPulled { session, .. }
            | PullOutcome::StillRecording { session }
            | PullOutcome::Failed { session, .. } => *session,
        }
    }

    /// Whether the session is safely on disk.
    pub fn is_on_disk(&self) -> bool {
        matches!(
            self,
            PullOutcome::Pulled { .. } | PullOutcome::AlreadyPulled { .. }
        )
    }
}

/// What a pull did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullReport {
    /// One entry per session considered, by id.
    pub outcomes: Vec<PullOutcome>,
    /// Sessions erased from the device (with `erase_after`).
    pub erased: Option<u16>,
}

/// Pulls sessions; calls `progress` after each one. Link and disk errors
/// abort the pull (files already finished stay); a session that fails to
/// verify is reported and the others continue.
pub fn pull<T: Transport>(
    client: &mut DeviceClient<T>,
    options: &PullOptions,
    progress: &mut dyn FnMut(&PullOutcome),
) -> anyhow::Result<PullReport> {
    fs::create_dir_all(&options.out_dir)
        .with_context(|| format!("cannot create {}", options.out_dir.display()))?;
    let sessions = client.sessions()?;
    for wanted in &options.only {
        if !sessions.iter().any(|s| s.id == *wanted) {
            anyhow::bail!("the device has no session {}", wanted.0);
        }
    }
    let mut report = PullReport::default();
    for session in &sessions {
        if !options.only.is_empty() && !options.only.contains(&session.id) {
            continue;
        }
        let outcome = pull_one(client, session, &options.out_dir)?;
        progress(&outcome);
        report.outcomes.push(outcome);
    }
    if options.erase_after {
        // Erase only a prefix of the listing (the store erases oldest
        // first) in which every session is verified on disk.
        let mut through = None;
        for session in &sessions {
            let on_disk = report
                .outcomes
                .iter()
                .any(|o| o.session() == session.id && o.is_on_disk());
            if !on_disk {
                break;
            }
            through = Some(session.id);
        }
        report.erased = Some(match through {
            Some(last) => client.erase(EraseScope::Through(last))?,
            None => 0,
        });
    }
    Ok(report)
}

fn pull_one<T: Transport>(
    client: &mut DeviceClient<T>,
    session: &SessionInfo,
    out_dir: &Path,
) -> anyhow::Result<PullOutcome> {
    if session.recording {
        return Ok(PullOutcome::StillRecording {
            session: session.id,
        });
    }
    let expected = client.checksum(session.id)?;
    let name = session_file_name(client.info(), session);
    let target = match free_or_identical(out_dir, &name, &expected)? {
        Slot::Identical(path) => {
            return Ok(PullOutcome::AlreadyPulled {
                session: session.id,
                path,
            })
        }
        Slot::Free(path) => path,
    };
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = out_dir.join(format!(".{file_name}.partial"));

    let mut resumed_from = existing_len(&partial)?.filter(|&len| len <= u64::from(expected.len));
    loop {
        let start = resumed_from.unwrap_or(0);
        download(client, session.id, &partial, start)?;
        if file_checksum(&partial)? == (u64::from(expected.len), expected.crc32c) {
            break;
        }
        if resumed_from.take().is_some_and(|from| from > 0) {
            continue; // the old partial file was not a prefix: start over
        }
        let _ = fs::remove_file(&partial);
        return Ok(PullOutcome::Failed {
            session: session.id,
            reason: "the bytes received do not match the device's checksum of the session".into(),
        });
    }
    fs::rename(&partial, &target).with_context(|| {
        format!(
            "cannot rename {} to {}",
            partial.display(),
            target.display()
        )
    })?;
    sync_dir(out_dir);
    Ok(PullOutcome::Pulled {
        session: session.id,
        path: target,
        bytes: u64::from(expected.len),
        resumed_from: resumed_from.unwrap_or(0),
    })
}

enum Slot {
    Free(PathBuf),
    Identical(PathBuf),
}

/// The first of `name`, `name-2`, `name-3`, … that is free or already holds
/// exactly the session.
fn free_or_identical(
    out_dir: &Path,
    name: &str,
    expected: &SessionChecksum,
) -> anyhow::Result<Slot> {
    let stem = name
        .strip_suffix(&format!(".{LOG_EXTENSION}"))
        .unwrap_or(name);
    for n in 1u32..=1000 {
        let candidate = if n == 1 {
            out_dir.join(name)
        } else {
            out_dir.join(format!("{stem}-{n}.{LOG_EXTENSION}"))
        };
        match existing_len(&candidate)? {
            None => return Ok(Slot::Free(candidate)),
            Some(len) if len == u64::from(expected.len) => {
                if file_checksum(&candidate)?.1 == expected.crc32c {
                    return Ok(Slot::Identical(candidate));
                }
            }
            Some(_) => {}
        }
    }
    anyhow::bail!(
        "{}: a thousand different files named like {name} already; clean up",
        out_dir.display()
    )
}

/// Reads the session from `start` to its end, appending to `partial`
/// (which is cut to `start` bytes first).
fn download<T: Transport>(
    client: &mut DeviceClient<T>,
    session: StoredSessionId,
    partial: &Path,
    start: u64,
) -> anyhow::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    file.set_len(start)?;
    let mut file = io::BufWriter::new(file);
    io::Seek::seek(&mut file, io::SeekFrom::Start(start))?;
    let mut offset = u32::try_from(start).context("partial file larger than a session")?;
    loop {
        let (session_len, data) = client.read(session, offset, MAX_CHUNK)?;
        if data.is_empty() {
            if offset != session_len {
                anyhow::bail!(
                    "the device sent no data at byte {offset} of session {} ({session_len} bytes)",
                    session.0
                );
            }
            break;
        }
        file.write_all(&data)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        offset += data.len() as u32;
    }
    let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()
        .with_context(|| format!("cannot flush {} to disk", partial.display()))?;
    Ok(())
}

fn existing_len(path: &Path) -> anyhow::Result<Option<u64>> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Some(meta.len())),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Length and CRC-32C of a file, as read back from disk.
pub fn file_checksum(path: &Path) -> anyhow::Result<(u64, u32)> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut digest = CRC32C.digest();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((len, digest.finalize()));
        }
        digest.update(&buf[..n]);
        len += n as u64;
    }
}

/// Makes a rename durable (best effort: not every OS can sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}
