//! `tabletalk device …`: talk to a table device over USB — status, list,
//! pull, erase, config, set-time, live, mark.
//!
//! Every subcommand runs against a [`DeviceClient`] through [`execute`], so
//! the tests drive them over an in-memory pipe to a simulated device.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Subcommand;
use tabletalk_core::protocol::{
    DeviceConfig, EraseScope, ErrorCode, FullPolicy, Mark, RecordingState, SessionInfo,
    StoredSessionId,
};
use tabletalk_core::seat::{SeatId, MAX_SEATS};

use crate::cli::TextOrJson;
use crate::device::config_file::{self, ConfigEdits};
use crate::device::live::LiveBoard;
use crate::device::naming::{bytes, clock_duration, session_file_name, utc_readable};
use crate::device::pull::{self, PullOptions, PullOutcome};
use crate::device::serve::{self, LiveServer};
use crate::device::transport::{choose_port, find_devices};
use crate::device::{DeviceClient, DeviceError, LinkOptions, SerialTransport, Transport};
use crate::diag::printable;
use crate::error::CliError;
use crate::roster::Roster;

/// Arguments of `tabletalk device`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
The device is found automatically when exactly one tabletalk device is plugged in \
(by its USB product name); otherwise name its serial port with --port \
(Linux: /dev/ttyACM0, macOS: /dev/cu.usbmodem…, Windows: COM4).

Typical use after a meeting:
  tabletalk device status
  tabletalk device pull --out-dir meetings/ --erase-after
  tabletalk device status --format json | jq .store_used")]
pub struct Args {
    /// The device's serial port [default: the one tabletalk device plugged in].
    #[arg(long, global = true, value_name = "PATH")]
    pub port: Option<String>,

    /// Seconds to wait for each reply; a request is tried 3 times.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 2.0, value_parser = crate::flags::within(0.05, 600.0))]
    pub timeout: f64,

    /// What to do.
    #[command(subcommand)]
    pub command: DeviceCommand,
}

/// The `tabletalk device` subcommands.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Show what the device is doing: recording or not, how full its store
    /// is, whether its clock is set.
    Status {
        /// How to print it.
        #[command(flatten)]
        format: FormatArg,
    },
    /// List the sessions stored on the device, with the file name `pull`
    /// would give each.
    List {
        /// How to print it.
        #[command(flatten)]
        format: FormatArg,
    },
    /// Copy sessions to log files named by device and start time.
    ///
    /// Each file is written to a temporary name, verified against the
    /// device's checksum and then renamed; sessions already pulled are
    /// skipped; an interrupted pull resumes. Nothing is erased from the
    /// device unless --erase-after is given.
    Pull {
        /// Folder for the log files (created if missing).
        #[arg(
            long = "out-dir",
            visible_alias = "out",
            short_alias = 'o',
            value_name = "DIR",
            default_value = "."
        )]
        out_dir: PathBuf,
        /// Only this session (repeatable); see `tabletalk device list`.
        #[arg(long = "session", value_name = "ID")]
        sessions: Vec<u32>,
        /// After every file is verified on disk, erase those sessions from
        /// the device.
        #[arg(long)]
        erase_after: bool,
    },
    /// Erase sessions from the device (asks first unless --yes). A session
    /// being recorded is never erased.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["all", "through"])))]
    Erase {
        /// Erase every stored session.
        #[arg(long)]
        all: bool,
        /// Erase the sessions up to and including this id.
        #[arg(long, value_name = "ID")]
        through: Option<u32>,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Show the device configuration as TOML, or change it.
    ///
    /// Without options, prints the configuration (save it, edit it, send it
    /// back with --file). Options change only what they name.
    Config {
        /// Send this configuration file (TOML, as printed by this command).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Set the device's name (used in pulled file names).
        #[arg(long)]
        name: Option<String>,
        /// Turn the per-seat LED feedback on or off.
        #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
        led: Option<bool>,
        /// What to do when the store is full.
        #[arg(long, value_enum)]
        when_full: Option<WhenFull>,
        /// Add or replace a seat: N:KIND[:MODE][@CHANNEL], KIND button, mic or
        /// button+mic, MODE hold or toggle (repeatable), e.g. --seat 0:button
        /// --seat 4:mic@1.
        #[arg(long = "seat", value_name = "SPEC", value_parser = config_file::parse_seat)]
        seats: Vec<tabletalk_core::protocol::SeatSettings>,
        /// Remove a seat (repeatable).
        #[arg(long = "remove-seat", value_name = "N")]
        remove_seats: Vec<u8>,
        /// Set one detection parameter, as in log headers (repeatable), e.g.
        /// --set mic.hangover_ms=500, or --set mic.spectral_on=true for the
        /// spectral detector (at most 11 microphone seats).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Set the device's clock from this computer's clock, so sessions get
    /// their real start time.
    SetTime,
    /// Show the running meeting, updated in place: per-seat speaking time,
    /// share against the fair share, who holds the floor. Ctrl-C stops.
    Live {
        /// Stop after this many seconds.
        #[arg(long = "for", value_name = "SECONDS", value_parser = crate::flags::within(0.0, 1e9))]
        duration: Option<f64>,
        /// Print one line per event instead of redrawing (the default when
        /// the output is not a terminal).
        #[arg(long)]
        plain: bool,
        /// Also serve the live view as a web page for a screen or projector
        /// at the table, on ADDR [default: 127.0.0.1:8765, this computer
        /// only]. Another address (e.g. 0.0.0.0:8765) lets anyone on that
        /// network see the page: only give one deliberately.
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = serve::DEFAULT_ADDR)]
        serve: Option<String>,
        /// Names for the seats on the page (the report's roster TOML; seats
        /// matched by `seat = N`).
        #[arg(long, value_name = "FILE")]
        roster: Option<PathBuf>,
    },
    /// Mark a decision (or an agenda point) in the meeting being recorded,
    /// now, as the facilitator's double (or single) press would.
    ///
    /// `tabletalk report` then says who spoke in the lead-up to each
    /// decision. Sent once and never repeated: if the device does not
    /// answer, check `tabletalk device live` before marking again.
    Mark {
        /// What to mark.
        #[arg(value_enum)]
        what: MarkWhat,
    },
}

/// What `tabletalk device mark` sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MarkWhat {
    /// A decision was made.
    Decision,
    /// A new agenda point begins.
    Agenda,
}

/// `--format text|json` (and, as before, `--json`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Same as --format json.
    #[arg(long, hide = true)]
    pub json: bool,
}

impl FormatArg {
    /// JSON output.
    pub const JSON: FormatArg = FormatArg {
        format: TextOrJson::Json,
        json: false,
    };

    fn is_json(self) -> bool {
        self.json || self.format == TextOrJson::Json
    }
}

/// `--when-full` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WhenFull {
    /// Stop recording.
    Stop,
    /// Drop the oldest sessions.
    Overwrite,
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(format!("`{text}`: say on or off")),
    }
}

/// Where a command's output goes and how it asks questions.
pub struct Console<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Whether `out` is a terminal (live redraws in place).
    pub terminal: bool,
    /// Asks a yes/no question; `None` when nobody can answer (no terminal).
    pub confirm: &'a mut dyn FnMut(&str) -> Option<bool>,
}

/// Runs `tabletalk device`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let found = match &args.port {
        Some(_) => Vec::new(),
        None => find_devices().context("cannot list serial ports")?,
    };
    let port = choose_port(args.port.as_deref(), &found).map_err(anyhow::Error::msg)?;
    let transport = SerialTransport::open(&port).map_err(|err| {
        let hint = match err.kind() {
            io::ErrorKind::PermissionDenied => {
                " (on Linux, add yourself to the `dialout` group and log in again)"
            }
            io::ErrorKind::NotFound => " (is the device plugged in?)",
            _ => " (is another program using the port?)",
        };
        anyhow::anyhow!("cannot open {port}: {err}{hint}")
    })?;
    let options = LinkOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        ..LinkOptions::default()
    };
    let mut client = DeviceClient::connect(transport, options)?;
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    let mut confirm = |question: &str| -> Option<bool> {
        if !io::stdin().is_terminal() {
            return None;
        }
        eprint!("{question} [y/N] ");
        let mut answer = String::new();
        io::stdin().lock().read_line(&mut answer).ok()?;
        Some(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
    };
    let mut console = Console {
        out: &mut out,
        terminal,
        confirm: &mut confirm,
    };
    execute(&mut client, &args.command, &mut console)
}

/// Runs one subcommand on a connected device.
pub fn execute<T: Transport>(
    client: &mut DeviceClient<T>,
    command: &DeviceCommand,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    match command {
        DeviceCommand::Status { format } => status(client, format.is_json(), console),
        DeviceCommand::List { format } => list(client, format.is_json(), console),
        DeviceCommand::Pull {
            out_dir,
            sessions,
            erase_after,
        } => {
            let options = PullOptions {
                out_dir: out_dir.clone(),
                only: sessions.iter().copied().map(StoredSessionId).collect(),
                erase_after: *erase_after,
            };
            pull(client, &options, console)
        }
        DeviceCommand::Erase { all, through, yes } => {
            let scope = match (all, through) {
                (_, Some(id)) => EraseScope::Through(StoredSessionId(*id)),
                _ => EraseScope::All,
            };
            erase(client, scope, *yes, console)
        }
        DeviceCommand::Config {
            file,
            name,
            led,
            when_full,
            seats,
            remove_seats,
            set,
        } => {
            let remove_seats = remove_seats
                .iter()
                .map(|&n| {
                    SeatId::new(n).ok_or_else(|| {
                        CliError::bad_input(format!(
                            "--remove-seat {n}: seats are numbered 0 to 15"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let edits = ConfigEdits {
                name: name.clone(),
                led_feedback: *led,
                when_full: when_full.map(|w| match w {
                    WhenFull::Stop => FullPolicy::Stop,
                    WhenFull::Overwrite => FullPolicy::OverwriteOldest,
                }),
                seats: seats.clone(),
                remove_seats,
                params: set.clone(),
            };
            config(client, file.as_deref(), &edits, console)
        }
        DeviceCommand::SetTime => set_time(client, console),
        DeviceCommand::Live {
            duration,
            plain,
            serve: address,
            roster,
        } => {
            let duration = duration.map(Duration::from_secs_f64);
            let page = match address {
                Some(address) => {
                    let names = match roster {
                        Some(path) => seat_names(&Roster::load(path).map_err(CliError::bad_input)?),
                        None => Vec::new(),
                    };
                    let server = LiveServer::bind(address).map_err(|e| {
                        CliError::bad_input(format!("cannot serve the live view on {address}: {e}"))
                    })?;
                    writeln!(
                        console.out,
                        "live view on http://{}/ (Ctrl-C stops)",
                        server.local_addr()
                    )?;
                    Some((server, names))
                }
                None => None,
            };
            let page = page.as_ref().map(|(server, names)| LivePage {
                server,
                names: names.as_slice(),
            });
            live(client, duration, *plain || !console.terminal, page, console)
        }
        DeviceCommand::Mark { what } => {
            let (mark, name) = match what {
                MarkWhat::Decision => (Mark::Decision, "decision"),
                MarkWhat::Agenda => (Mark::Agenda, "agenda point"),
            };
            let session = client.mark(mark).map_err(|e| match e {
                DeviceError::Refused {
                    code: ErrorCode::Busy,
                    ..
                } => CliError::bad_input(format!(
                    "no meeting is being recorded, so there is nothing to mark a {name} in"
                ))
                .into(),
                other => anyhow::Error::from(other),
            })?;
            writeln!(console.out, "marked a {name} in session {}", session.0)?;
            Ok(())
        }
    }
}

fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn status<T: Transport>(
    client: &mut DeviceClient<T>,
    json: bool,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let status = client.status()?;
    let laptop_ms = unix_now_ms();
    let info = client.info().clone();
    let offset_ms = status.unix_ms.map(|d| d as i64 - laptop_ms as i64);
    if json {
        let (state, session, elapsed_ms) = match status.state {
            RecordingState::Idle => ("idle", None, None),
            RecordingState::Recording {
                session,
                elapsed_ms,
            } => ("recording", Some(session.0), Some(elapsed_ms)),
            RecordingState::Paused { session } => ("paused", Some(session.0), None),
            RecordingState::StoreFull => ("store_full", None, None),
            RecordingState::Fault => ("fault", None, None),
        };
        let value = serde_json::json!({
            "port": client.port(),
            "device_id": format!("{:016x}", info.device_id),
            "name": info.name.as_str(),
            "firmware": info.firmware.as_str(),
            "protocol": info.protocol.to_string(),
            "state": state,
            "session": session,
            "elapsed_ms": elapsed_ms,
            "sessions": status.sessions,
            "store_used": status.store_used,
            "store_capacity": status.store_capacity,
            "sessions_overwritten": status.sessions_overwritten,
            "storage_errors": status.storage_errors,
            "clock_unix_ms": status.unix_ms,
            "clock_offset_ms": offset_ms,
        });
        writeln!(console.out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    let out = &mut console.out;
    let name = if info.name.is_empty() {
        "(no name)".to_owned()
    } else {
        printable(&info.name).into_owned()
    };
    writeln!(
        out,
        "device   {name}, id {:016x}, firmware {}, protocol {}, on {}",
        info.device_id,
        printable(&info.firmware),
        info.protocol,
        client.port()
    )?;
    let state = match status.state {
        RecordingState::Idle => "idle (not recording)".to_owned(),
        RecordingState::Recording {
            session,
            elapsed_ms,
        } => format!(
            "recording session {} for {}",
            session.0,
            clock_duration(elapsed_ms)
        ),
        RecordingState::Paused { session } => format!("session {} paused", session.0),
        RecordingState::StoreFull => {
            "STOPPED: the store is full — pull and erase sessions".to_owned()
        }
        RecordingState::Fault => "FAULT: see the status LED".to_owned(),
    };
    writeln!(out, "state    {state}")?;
    let percent = if status.store_capacity == 0 {
        0.0
    } else {
        100.0 * f64::from(status.store_used) / f64::from(status.store_capacity)
    };
    write!(
        out,
        "store    {} session(s), {} of {} used ({percent:.0}%)",
        status.sessions,
        bytes(u64::from(status.store_used)),
        bytes(u64::from(status.store_capacity))
    )?;
    if status.sessions_overwritten > 0 {
        write!(
            out,
            "; {} old session(s) overwritten",
            status.sessions_overwritten
        )?;
    }
    if status.storage_errors > 0 {
        write!(out, "; {} flash error(s)", status.storage_errors)?;
    }
    writeln!(out)?;
    match (status.unix_ms, offset_ms) {
        (Some(unix_ms), Some(offset)) => writeln!(
            out,
            "clock    {} ({})",
            utc_readable(unix_ms),
            ClockOffset::of(offset).against("this computer")
        )?,
        _ => writeln!(
            out,
            "clock    not set since power-up: run `tabletalk device set-time` so sessions get real start times"
        )?,
    }
    Ok(())
}

/// How a device's clock stands against this computer's.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ClockOffset {
    /// Within half a second.
    InStep,
    /// Behind by this many seconds.
    Behind(f64),
    /// Ahead by this many seconds.
    Ahead(f64),
}

impl ClockOffset {
    fn of(offset_ms: i64) -> Self {
        let secs = offset_ms.unsigned_abs() as f64 / 1000.0;
        if offset_ms.unsigned_abs() < 500 {
            ClockOffset::InStep
        } else if offset_ms < 0 {
            ClockOffset::Behind(secs)
        } else {
            ClockOffset::Ahead(secs)
        }
    }

    /// `0.3 s behind this computer`, `in step with this computer`.
    fn against(self, other: &str) -> String {
        match self {
            ClockOffset::InStep => format!("in step with {other}"),
            ClockOffset::Behind(secs) => format!("{secs:.1} s behind {other}"),
            ClockOffset::Ahead(secs) => format!("{secs:.1} s ahead of {other}"),
        }
    }
}

fn list<T: Transport>(
    client: &mut DeviceClient<T>,
    json: bool,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let sessions = client.sessions()?;
    let info = client.info().clone();
    if json {
        let rows: Vec<_> = sessions
            .iter()
            .map(|s| {
                serde_json::json!({
                    "id": s.id.0,
                    "start_unix_ms": s.start_unix_ms,
                    "bytes": s.len,
                    "recording": s.recording,
                    "truncated": s.truncated,
                    "interrupted": s.interrupted,
                    "file_name": session_file_name(&info, s),
                })
            })
            .collect();
        writeln!(console.out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    if sessions.is_empty() {
        writeln!(console.out, "no sessions stored")?;
        return Ok(());
    }
    writeln!(
        console.out,
        "{:>6}  {:<23}  {:>10}  file name",
        "id", "started", "size"
    )?;
    for s in &sessions {
        let started = s
            .start_unix_ms
            .map_or_else(|| "(clock not set)".to_owned(), utc_readable);
        let mut note = String::new();
        if s.recording {
            note.push_str("  [recording]");
        }
        if s.truncated {
            note.push_str("  [beginning overwritten]");
        }
        if s.interrupted {
            note.push_str("  [cut short: power lost, no end record]");
        }
        writeln!(
            console.out,
            "{:>6}  {started:<23}  {:>10}  {}{note}",
            s.id.0,
            bytes(u64::from(s.len)),
            session_file_name(&info, s)
        )?;
    }
    Ok(())
}

fn pull<T: Transport>(
    client: &mut DeviceClient<T>,
    options: &PullOptions,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let out = &mut *console.out;
    let mut failed = 0;
    let mut write_error = None;
    let report = pull::pull(client, options, &mut |outcome| {
        let line = match outcome {
            PullOutcome::Pulled {
                session,
                path,
                bytes: size,
                resumed_from,
            } => format!(
                "session {:>4}: pulled {} ({}{})",
                session.0,
                path.display(),
                bytes(*size),
                if *resumed_from > 0 {
                    format!(", resumed at {}", bytes(*resumed_from))
                } else {
                    String::new()
                }
            ),
            PullOutcome::AlreadyPulled { session, path } => {
                format!("session {:>4}: already in {}", session.0, path.display())
            }
            PullOutcome::StillRecording { session } => format!(
                "session {:>4}: still recording, skipped (stop the session to pull it)",
                session.0
            ),
            PullOutcome::Failed { session, reason } => {
                failed += 1;
                format!("session {:>4}: FAILED: {reason}", session.0)
            }
        };
        if let Err(err) = writeln!(out, "{line}") {
            write_error.get_or_insert(err);
        }
    })?;
    if let Some(err) = write_error {
        return Err(err.into());
    }
    if report.outcomes.is_empty() {
        writeln!(out, "no sessions to pull")?;
    }
    if let Some(erased) = report.erased {
        writeln!(out, "erased {erased} verified session(s) from the device")?;
    }
    let stats = client.stats();
    if stats.retries > 0 {
        writeln!(
            out,
            "note: {} request(s) repeated after {} damaged frame(s) or timeouts; the data is verified",
            stats.retries, stats.damaged_frames
        )?;
    }
    if failed > 0 {
        anyhow::bail!("{failed} session(s) could not be pulled intact; try again");
    }
    Ok(())
}

fn erase<T: Transport>(
    client: &mut DeviceClient<T>,
    scope: EraseScope,
    yes: bool,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let sessions = client.sessions()?;
    let doomed: Vec<&SessionInfo> = sessions
        .iter()
        .filter(|s| match scope {
            EraseScope::All => !s.recording,
            EraseScope::Through(last) => s.id <= last,
        })
        .collect();
    if doomed.is_empty() {
        writeln!(console.out, "nothing to erase")?;
        return Ok(());
    }
    let total: u64 = doomed.iter().map(|s| u64::from(s.len)).sum();
    let label = printable(&client.info().name).into_owned();
    let question = format!(
        "Erase {} session(s) ({}, ids {}–{}) from {}? This cannot be undone.",
        doomed.len(),
        bytes(total),
        doomed.first().map_or(0, |s| s.id.0),
        doomed.last().map_or(0, |s| s.id.0),
        if label.is_empty() {
            "the device"
        } else {
            &label
        }
    );
    if !yes {
        match (console.confirm)(&question) {
            Some(true) => {}
            Some(false) => {
                writeln!(console.out, "nothing erased")?;
                return Ok(());
            }
            None => {
                return Err(CliError::bad_input(
                    "refusing to erase without confirmation: run it in a terminal, or pass --yes",
                )
                .into())
            }
        }
    }
    let erased = client.erase(scope)?;
    writeln!(console.out, "erased {erased} session(s)")?;
    Ok(())
}

fn config<T: Transport>(
    client: &mut DeviceClient<T>,
    file: Option<&std::path::Path>,
    edits: &ConfigEdits,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let shown: DeviceConfig = match file {
        None if edits.is_empty() => client.config()?,
        _ => {
            let mut config = match file {
                Some(path) => config_file::read(path)
                    .map_err(|err| CliError::bad_input(format!("{err:#}")))?,
                None => client.config()?,
            };
            edits
                .apply(&mut config)
                .map_err(|err| CliError::bad_input(format!("{err:#}")))?;
            let stored = client.set_config(&config)?;
            if stored != config {
                anyhow::bail!("the device stored a different configuration than sent");
            }
            crate::diag::note("configuration stored on the device");
            stored
        }
    };
    write!(console.out, "{}", config_file::to_toml(&shown)?)?;
    Ok(())
}

fn set_time<T: Transport>(
    client: &mut DeviceClient<T>,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let now = unix_now_ms();
    let set = client.set_clock(now)?;
    let before = match set
        .previous_unix_ms
        .map(|p| ClockOffset::of(p as i64 - now as i64))
    {
        None => "it had not been set since power-up".to_owned(),
        Some(ClockOffset::InStep) => "it was already right".to_owned(),
        Some(offset) => format!("it was {}", offset.against("it")),
    };
    writeln!(
        console.out,
        "device clock set to {} ({before})",
        utc_readable(now)
    )?;
    Ok(())
}

/// How long without any live frame before checking the device is still
/// there (it sends a heartbeat at least once a second).
const LIVE_SILENCE: Duration = Duration::from_secs(5);

/// Names of seats by index, from a roster's `seat = N` entries.
fn seat_names(roster: &Roster) -> Vec<Option<String>> {
    (0..MAX_SEATS)
        .map(|seat| roster.entry_by_index(seat).and_then(|e| e.name.clone()))
        .collect()
}

/// The web page a `device live` loop keeps up to date.
#[derive(Clone, Copy)]
pub struct LivePage<'a> {
    /// Its server.
    pub server: &'a LiveServer,
    /// Seat names by index.
    pub names: &'a [Option<String>],
}

/// Follows the device's live stream for `duration` (or until `page`'s
/// server is stopped), drawing the board on `console` and publishing it to
/// `page`.
///
/// # Errors
/// The device stopped answering, or writing the console failed.
pub fn live<T: Transport>(
    client: &mut DeviceClient<T>,
    duration: Option<Duration>,
    plain: bool,
    page: Option<LivePage<'_>>,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let config = client.config()?;
    let mut board = LiveBoard::for_config(&config);
    let publish = |board: &LiveBoard| {
        if let Some(page) = page {
            page.server.publish(serve::state_json(board, page.names));
        }
    };
    client.subscribe(true)?;
    // Published once subscribed: a page (or a test) seeing the seats knows
    // the device's updates are on their way.
    publish(&board);
    let started = Instant::now();
    let mut last_frame = Instant::now();
    let mut drawn_lines = 0usize;
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    while duration.is_none_or(|d| started.elapsed() < d)
        && !page.is_some_and(|p| p.server.stopped())
    {
        let wait = Duration::from_millis(200);
        match client.next_live(wait)? {
            Some(frame) => {
                last_frame = Instant::now();
                board.apply(&frame);
                publish(&board);
                dirty = true;
                if plain {
                    if let Some(line) = LiveBoard::describe(&frame) {
                        writeln!(console.out, "{line}")?;
                    }
                }
            }
            None if last_frame.elapsed() > LIVE_SILENCE => {
                // Silent: either the link is gone (this fails with a clear
                // message) or the device restarted and forgot us.
                client.status()?;
                client.subscribe(true)?;
                last_frame = Instant::now();
            }
            None => {}
        }
        if !plain && dirty && last_draw.is_none_or(|t| t.elapsed() >= Duration::from_millis(200)) {
            drawn_lines = redraw(console.out, &board, drawn_lines)?;
            last_draw = Some(Instant::now());
            dirty = false;
        }
    }
    let _ = client.subscribe(false);
    if plain {
        for line in board.render(30) {
            writeln!(console.out, "{line}")?;
        }
    } else {
        redraw(console.out, &board, drawn_lines)?;
    }
    Ok(())
}

/// Draws the board over the previous drawing; returns its line count.
fn redraw(out: &mut dyn Write, board: &LiveBoard, previous: usize) -> io::Result<usize> {
    let lines = board.render(30);
    if previous > 0 {
        write!(out, "\x1b[{previous}A")?; // back to the first line drawn
    }
    for line in &lines {
        write!(out, "\r\x1b[2K{line}\n")?;
    }
    for _ in lines.len()..previous {
        write!(out, "\r\x1b[2K\n")?;
    }
    out.flush()?;
    Ok(lines.len().max(previous))
}
