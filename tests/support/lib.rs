//! Helpers shared by the cross-crate tests.

pub mod browser {
    //! Debian's headless chromium, for the tests of pages.

    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// The chromium binary, if installed (`scripts/setup.sh --tests`).
    pub fn chromium() -> Option<PathBuf> {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
    }

    /// Runs `command` with its output in files in `dir` (a pipe could fill
    /// up and stall the browser), killing it after `limit`; returns whether
    /// it succeeded, its stdout and its stderr.
    pub fn run_with_timeout(
        command: &mut Command,
        dir: &Path,
        limit: Duration,
    ) -> (bool, String, String) {
        let (out_path, err_path) = (dir.join("stdout.txt"), dir.join("stderr.txt"));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        (
            status.is_some_and(|s| s.success()),
            std::fs::read_to_string(out_path).unwrap_or_default(),
            std::fs::read_to_string(err_path).unwrap_or_default(),
        )
    }

    /// Headless chromium on `url` with `extra` flags, its profile in `dir`,
    /// without any network of its own (no updates, sync or QUIC), at most
    /// 120 s.
    pub fn headless(
        chromium: &Path,
        dir: &Path,
        extra: &[&str],
        url: &str,
    ) -> (bool, String, String) {
        let profile = dir.join(format!("profile-{}", extra.len()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut command = Command::new(chromium);
        command.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ]);
        command.arg(format!("--user-data-dir={}", profile.display()));
        command.args(extra);
        command.arg(url);
        run_with_timeout(&mut command, dir, Duration::from_secs(120))
    }
}
