//! Finding and loading the inputs of `report` and `batch`: log files,
//! directories of logs (searched recursively, in name order), `-` for a log
//! on standard input and, for convenience, RTTM files (one session per
//! recording, as `import rttm` would make them at a 1 ms tick).
//!
//! A directory walk follows links but reads each file once (by device and
//! inode), never enters a directory it is already inside (a link loop),
//! and skips what is not a regular file (FIFOs, sockets, devices) with a
//! warning, so that no input can block it or make it run for ever.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diag::{self, printable};
use crate::error::CliError;
use crate::logs::{self, LoadedLog, LOG_EXTENSION};
use crate::session::Session;
use tabletalk_eval::rttm::{self, UemSegment};

/// The name `-` stands for: standard input.
pub const STDIN: &str = "-";

/// Whether `path` names an RTTM file.
pub fn is_rttm(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("rttm"))
}

/// What makes two names the same file or directory.
type FileKey = (u64, u64);

fn key(meta: &fs::Metadata, path: &Path) -> FileKey {
    #[cfg(unix)]
    {
        let _ = path;
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        use std::hash::{Hash, Hasher};
        let _ = meta;
        let mut hash = std::collections::hash_map::DefaultHasher::new();
        fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_owned())
            .hash(&mut hash);
        (0, hash.finish())
    }
}

/// The walk's state: files already taken, and the directories being walked
/// (a directory met again below itself is a link loop).
#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    taken: HashSet<FileKey>,
    open_dirs: Vec<FileKey>,
}

impl Walk {
    /// Takes a regular file unless it was taken before.
    fn take(&mut self, path: PathBuf, meta: &fs::Metadata) {
        if self.taken.insert(key(meta, &path)) {
            self.files.push(path);
        }
    }

    fn dir(&mut self, dir: &Path, meta: &fs::Metadata) -> std::io::Result<()> {
        let dir_key = key(meta, dir);
        if self.open_dirs.contains(&dir_key) {
            diag::warn(format_args!(
                "{}: a link back to a folder above it (a loop), skipped",
                dir.display()
            ));
            return Ok(());
        }
        let mut entries = fs::read_dir(dir)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<std::io::Result<Vec<_>>>()?;
        entries.sort();
        self.open_dirs.push(dir_key);
        for path in entries {
            // `metadata` follows links; a dangling link has none.
            let Ok(meta) = fs::metadata(&path) else {
                if path.extension().is_some_and(|e| e == LOG_EXTENSION) {
                    diag::warn(format_args!("{}: a broken link, skipped", path.display()));
                }
                continue;
            };
            if meta.is_dir() {
                self.dir(&path, &meta)?;
            } else if path.extension().is_some_and(|e| e == LOG_EXTENSION) {
                if meta.is_file() {
                    self.take(path, &meta);
                } else {
                    diag::warn(format_args!(
                        "{}: not a regular file (a FIFO or device), skipped",
                        path.display()
                    ));
                }
            }
        }
        self.open_dirs.pop();
        Ok(())
    }
}

/// Expands directories into the `.ttlog` files below them, sorted by path;
/// files are kept as given, `-` too. Every file appears once, however many
/// names (links, repeated arguments) lead to it.
///
/// # Errors
/// A path that does not exist (exit code 1, an I/O error), or a directory
/// that holds no log (exit code 2).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut walk = Walk::default();
    for path in paths {
        if path == Path::new(STDIN) {
            walk.files.push(path.clone());
            continue;
        }
        let meta = fs::metadata(path)
            .map_err(|e| CliError::failure(format!("cannot read {}: {e}", path.display())))?;
        if meta.is_dir() {
            let before = walk.files.len();
            walk.dir(path, &meta)
                .map_err(|e| CliError::failure(format!("cannot list {}: {e}", path.display())))?;
            if walk.files.len() == before {
                return Err(CliError::bad_input(format!(
                    "{}: no .{LOG_EXTENSION} files in this directory",
                    path.display()
                )));
            }
        } else {
            // A file named on the command line is read whatever it is (a
            // FIFO there is what the user asked for).
            walk.take(path.clone(), &meta);
        }
    }
    Ok(walk.files)
}

/// The bytes of a file, or of standard input for `-`, and the name to
/// give it in messages.
///
/// # Errors
/// I/O (exit 1).
pub fn read_bytes(path: &Path) -> Result<(Vec<u8>, String), CliError> {
    if path == Path::new(STDIN) {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::failure(format!("cannot read standard input: {e}")))?;
        return Ok((bytes, "(standard input)".to_owned()));
    }
    let bytes = fs::read(path)
        .map_err(|e| CliError::failure(format!("cannot read {}: {e}", path.display())))?;
    Ok((bytes, path.display().to_string()))
}

/// Reads a UEM file for RTTM inputs.
///
/// # Errors
/// I/O (exit 1), not a UEM (exit 2).
pub fn read_uem(path: &Path) -> Result<Vec<UemSegment>, CliError> {
    rttm::parse_uem(&read_text(path)?)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))
}

/// Reads a text file (UTF-8).
///
/// # Errors
/// I/O (exit 1), not UTF-8 (exit 2).
pub fn read_text(path: &Path) -> Result<String, CliError> {
    let (bytes, _) = read_bytes(path)?;
    String::from_utf8(bytes)
        .map_err(|_| CliError::bad_input(format!("{}: not UTF-8 text", path.display())))
}

/// Loads one input, handing its sessions to `on_session` one at a time
/// (a log file is streamed: see [`logs::read_each`]); the returned log says
/// what was lost and holds no sessions.
///
/// # Errors
/// As [`load`].
pub fn load_each(
    path: &Path,
    uem: &[UemSegment],
    mut on_session: impl FnMut(Session),
) -> Result<LoadedLog, CliError> {
    if is_rttm(path) || path == Path::new(STDIN) {
        let mut log = load(path, uem)?;
        log.sessions.drain(..).for_each(&mut on_session);
        return Ok(log);
    }
    let mut log = logs::read_each(path, |mut session| {
        make_session_printable(&mut session);
        on_session(session);
    })?;
    make_printable(&mut log);
    Ok(log)
}

/// Loads one input: a log (`-`: from standard input), or an RTTM file
/// whose recordings take their extents from `uem` where it names them.
/// Control characters in labels and names are made visible (see
/// [`printable`]), so that no output format can carry them raw.
///
/// # Errors
/// One line naming the file: I/O (exit 1), not a log or nothing
/// decodable (exit 2).
pub fn load(path: &Path, uem: &[UemSegment]) -> Result<LoadedLog, CliError> {
    let mut log = if path == Path::new(STDIN) {
        let (bytes, name) = read_bytes(path)?;
        logs::decode(&bytes, &name).map_err(|e| CliError::bad_input(format!("{name}: {e}")))?
    } else if is_rttm(path) {
        load_rttm(path, uem)?
    } else {
        logs::read(path)?
    };
    make_printable(&mut log);
    Ok(log)
}

fn load_rttm(path: &Path, uem: &[UemSegment]) -> Result<LoadedLog, CliError> {
    let segments = rttm::parse_rttm(&read_text(path)?)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    let recordings = rttm::group_recordings(&segments, uem);
    if recordings.is_empty() {
        return Err(CliError::bad_input(format!(
            "{}: no SPEAKER lines",
            path.display()
        )));
    }
    let sessions = recordings
        .iter()
        .enumerate()
        .map(|(i, recording)| {
            let mut session = crate::annotation::session(&recording.ticked(1), recording);
            session.source = format!("{}#{}", path.display(), recording.name);
            session.index = i;
            session
        })
        .collect::<Vec<_>>();
    Ok(LoadedLog {
        source: path.display().to_string(),
        records: segments.len(),
        session_count: sessions.len(),
        sessions,
        ..LoadedLog::default()
    })
}

fn make_visible(text: &mut String) {
    if let std::borrow::Cow::Owned(clean) = printable(text) {
        *text = clean;
    }
}

fn make_printable(log: &mut LoadedLog) {
    make_visible(&mut log.source);
    log.sessions.iter_mut().for_each(make_session_printable);
}

fn make_session_printable(session: &mut Session) {
    make_visible(&mut session.source);
    for label in session.seats.iter_mut().filter_map(|s| s.label.as_mut()) {
        make_visible(label);
    }
}
