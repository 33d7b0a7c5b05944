//! Finding and loading the inputs of `report` and `batch`: log files,
//! directories of logs (searched recursively, in name order) and, for
//! convenience, RTTM files (one session per recording, as `import rttm`
//! would make them at a 1 ms tick).

use std::path::{Path, PathBuf};

use crate::error::CliError;
use crate::logs::{self, LoadedLog, LOG_EXTENSION};
use tabletalk_eval::rttm;

/// Whether `path` names an RTTM file.
pub fn is_rttm(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("rttm"))
}

/// Expands directories into the `.ttlog` files below them, sorted by path;
/// files are kept as given.
///
/// # Errors
/// A path that does not exist (exit code 2), or a directory that holds no
/// log.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files)
                .map_err(|e| CliError::failure(format!("cannot list {}: {e}", path.display())))?;
            files.get_mut(before..).unwrap_or_default().sort();
            if files.len() == before {
                return Err(CliError::bad_input(format!(
                    "{}: no .{LOG_EXTENSION} files in this directory",
                    path.display()
                )));
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(CliError::bad_input(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == LOG_EXTENSION) {
            files.push(path);
        }
    }
    Ok(())
}

/// Loads one input: a log, or an RTTM file.
///
/// # Errors
/// One line naming the file: I/O (exit 1), not a log or nothing
/// decodable (exit 2).
pub fn load(path: &Path) -> Result<LoadedLog, CliError> {
    if !is_rttm(path) {
        return logs::read(path);
    }
    let text = std::fs::read(path)
        .map_err(|e| CliError::failure(format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8(text)
        .map_err(|_| CliError::bad_input(format!("{}: not UTF-8 text", path.display())))?;
    let segments = rttm::parse_rttm(&text)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    let recordings = rttm::group_recordings(&segments, &[]);
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
        sessions,
        frames_lost: 0,
        damaged: Vec::new(),
        orphan_records: 0,
    })
}
