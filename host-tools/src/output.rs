//! Every file `tabletalk` writes goes through here, so that an output is
//! either the old file or the whole new one, never a mix:
//!
//! - [`AtomicFile`] writes to a temporary file beside the target and renames
//!   it into place once everything is written and synced. On any failure
//!   (full disk, a panic, an early return) the temporary file is removed
//!   and an existing file of that name is left as it was. Two runs writing
//!   the same target leave one of the two whole files.
//! - [`refuse_clashes`] refuses an output that is one of the inputs, or two
//!   outputs that are the same file, before anything is written.
//! - [`Target`] is an output name where `-` means standard output.
//!
//! ```
//! use std::io::Write;
//! use tabletalk::output::AtomicFile;
//!
//! let dir = std::env::temp_dir().join(format!("tabletalk-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("report.txt");
//! std::fs::write(&path, "old").unwrap();
//!
//! let mut file = AtomicFile::create(&path).unwrap();
//! file.write_all(b"half").unwrap();
//! drop(file); // not committed: the old file stays
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
//!
//! let mut file = AtomicFile::create(&path).unwrap();
//! file.write_all(b"new").unwrap();
//! file.commit().unwrap();
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::fs::{self, File};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::CliError;

/// An output named on the command line: a file, or `-` for standard output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Standard output.
    Stdout,
    /// A file, written atomically.
    File(PathBuf),
}

impl Target {
    /// `None` and `-` mean standard output.
    pub fn from_flag(path: Option<&Path>) -> Self {
        match path {
            Some(path) if path != Path::new("-") => Target::File(path.to_owned()),
            _ => Target::Stdout,
        }
    }

    /// The file, if the target is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Target::Stdout => None,
            Target::File(path) => Some(path),
        }
    }

    /// Writes the output: `write` fills a buffered writer, which goes to
    /// standard output or, atomically, to the file. A reader that stops
    /// early (`| head`) is not an error.
    ///
    /// # Errors
    /// I/O (exit code 1), naming the file.
    pub fn write_with(
        &self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), CliError> {
        match self {
            Target::Stdout => {
                let mut out = BufWriter::new(io::stdout().lock());
                match write(&mut out).and_then(|()| out.flush()) {
                    Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::failure(
                        format!("cannot write to standard output: {e}"),
                    )),
                    _ => Ok(()),
                }
            }
            Target::File(path) => {
                let mut file = AtomicFile::create(path)?;
                write(&mut file).map_err(|e| write_error(path, &e))?;
                file.commit()
            }
        }
    }
}

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// I/O (exit code 1), naming the file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    Target::File(path.to_owned()).write_with(|out| out.write_all(bytes))
}

fn write_error(path: &Path, e: &io::Error) -> CliError {
    CliError::failure(format!("cannot write {}: {e}", path.display()))
}

/// A file being written under a temporary name beside its target; see the
/// module docs. Dropping it without [`AtomicFile::commit`] removes it.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    /// `None` when the target is not a regular file (`/dev/null`, a FIFO):
    /// such a target is written in place, since renaming over it would
    /// replace the device node itself.
    temp: Option<PathBuf>,
    file: BufWriter<File>,
}

/// Distinguishes the temporary files of one process.
static COUNTER: AtomicU32 = AtomicU32::new(0);

impl AtomicFile {
    /// Starts writing `target` (a symbolic link is followed: the file it
    /// names is replaced).
    ///
    /// # Errors
    /// I/O (exit code 1), naming the target.
    pub fn create(target: &Path) -> Result<Self, CliError> {
        let cannot =
            |e: io::Error| CliError::failure(format!("cannot create {}: {e}", target.display()));
        let target = match fs::canonicalize(target) {
            Ok(real) => real,
            Err(_) => target.to_owned(),
        };
        let existing = fs::metadata(&target).ok();
        if existing.as_ref().is_some_and(|m| !m.is_file()) {
            if existing.as_ref().is_some_and(fs::Metadata::is_dir) {
                return Err(cannot(io::Error::other("it is a directory")));
            }
            let file = fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(cannot)?;
            return Ok(AtomicFile {
                target,
                temp: None,
                file: BufWriter::new(file),
            });
        }
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .ok_or_else(|| cannot(io::Error::other("not a file name")))?
            .to_string_lossy()
            .into_owned();
        let temp = dir.join(format!(
            ".{name}.{}-{}{TEMP_SUFFIX}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(cannot)?;
        if let Some(meta) = existing {
            // A replaced file keeps its permissions.
            let _ = fs::set_permissions(&temp, meta.permissions());
        }
        Ok(AtomicFile {
            target,
            temp: Some(temp),
            file: BufWriter::new(file),
        })
    }

    /// Flushes, syncs and renames the file into place.
    ///
    /// # Errors
    /// I/O (exit code 1), naming the target; the temporary file is removed
    /// and the target left as it was.
    pub fn commit(mut self) -> Result<(), CliError> {
        let failed = |e: io::Error| write_error(&self.target, &e);
        self.file.flush().map_err(failed)?;
        let Some(temp) = &self.temp else {
            return Ok(());
        };
        self.file.get_ref().sync_all().map_err(failed)?;
        fs::rename(temp, &self.target).map_err(failed)?;
        self.temp = None;
        if let Some(dir) = self.target.parent() {
            sync_dir(dir);
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = fs::remove_file(temp);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

/// Makes a rename durable (best effort: not every OS can sync a folder).
pub fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// What makes two paths the same file: device and inode where the file
/// exists, otherwise its canonical folder and name.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    #[cfg(unix)]
    if let Ok(meta) = fs::metadata(path) {
        use std::os::unix::fs::MetadataExt;
        return Identity::Inode(meta.dev(), meta.ino());
    }
    if let Ok(real) = fs::canonicalize(path) {
        return Identity::Path(real);
    }
    let parent = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    match (fs::canonicalize(parent), path.file_name()) {
        (Ok(dir), Some(name)) => Identity::Path(dir.join(name)),
        _ => Identity::Path(path.to_owned()),
    }
}

/// Refuses, before anything is written, an output that is one of the
/// inputs, or the same file named as two outputs. `-` (standard input or
/// output) never clashes.
///
/// # Errors
/// Bad usage (exit code 2), naming both.
pub fn refuse_clashes<'a>(inputs: &[&'a Path], outputs: &[&'a Path]) -> Result<(), CliError> {
    let files = |paths: &[&'a Path]| -> Vec<(&'a Path, Identity)> {
        paths
            .iter()
            .filter(|p| **p != Path::new("-"))
            .map(|p| (*p, identity(p)))
            .collect()
    };
    let inputs = files(inputs);
    let mut seen: Vec<(&Path, Identity)> = Vec::new();
    for (output, id) in files(outputs) {
        if let Some((input, _)) = inputs.iter().find(|(_, i)| *i == id) {
            return Err(CliError::bad_input(format!(
                "refusing to write {}: it is the input {}",
                output.display(),
                input.display()
            )));
        }
        if let Some((other, _)) = seen.iter().find(|(_, i)| *i == id) {
            return Err(CliError::bad_input(format!(
                "refusing to write {} twice (also named as {})",
                output.display(),
                other.display()
            )));
        }
        seen.push((output, id));
    }
    Ok(())
}

/// How the name of a write's temporary file ends (`.NAME.PID-N.tmp`,
/// beside the target).
const TEMP_SUFFIX: &str = ".tmp";

/// The names of write temporaries in `dir`: none once every write there
/// has finished or failed (what the tests of atomic outputs check).
pub fn temporaries_in(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(TEMP_SUFFIX) {
            names.push(name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tabletalk-output-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        temporaries_in(dir).unwrap()
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary() {
        let dir = scratch("failed");
        let path = dir.join("out.csv");
        fs::write(&path, "good").unwrap();
        let result = Target::File(path.clone()).write_with(|out| {
            out.write_all(b"partial")?;
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        });
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("out.csv") && message.contains("disk full"),
            "{message}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "good");
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_commit_replaces_the_file_through_a_link_and_keeps_permissions() {
        let dir = scratch("commit");
        let path = dir.join("real.html");
        fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            std::os::unix::fs::symlink(&path, dir.join("link.html")).unwrap();
            write_file(&dir.join("link.html"), b"new").unwrap();
            assert!(fs::symlink_metadata(dir.join("link.html"))
                .unwrap()
                .file_type()
                .is_symlink());
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        #[cfg(not(unix))]
        write_file(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert!(leftovers(&dir).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_output_that_is_an_input_or_named_twice_is_refused() {
        let dir = scratch("clash");
        let log = dir.join("m.ttlog");
        fs::write(&log, "log").unwrap();
        let other = dir.join("sub/../m.ttlog");
        fs::create_dir_all(dir.join("sub")).unwrap();
        let err = refuse_clashes(&[&log], &[&other]).unwrap_err();
        assert!(err.to_string().contains("it is the input"), "{err}");
        let fresh = dir.join("s");
        let err = refuse_clashes(&[], &[&fresh, &dir.join("./s")]).unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
        refuse_clashes(&[&log], &[&fresh, &dir.join("t"), Path::new("-")]).unwrap();
        refuse_clashes(&[Path::new("-")], &[Path::new("-")]).unwrap();
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_device_target_is_written_in_place() {
        let mut file = AtomicFile::create(Path::new("/dev/null")).unwrap();
        file.write_all(b"x").unwrap();
        file.commit().unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
    }
}
