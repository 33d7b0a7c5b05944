//! What the end-to-end tests of the binary share.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `tabletalk` binary with `args` in `dir`.
pub fn tabletalk(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tabletalk"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running tabletalk: {e}"))
}

/// A new folder for one test, unique to this process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tabletalk-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}
