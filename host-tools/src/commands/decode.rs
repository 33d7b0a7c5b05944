//! `tabletalk decode LOG`: every record as JSON lines, for scripting.
//!
//! One JSON object per line, in log order, each with `record` (`header`,
//! `turns`, `marker`, `condition`, `notice`, `end`, or `damaged`), the
//! frame's byte `offset` and `length`, and the record's fields. Times are
//! given in ticks (`at`, `start`, `end`) and, where the session's header is
//! known, in ms (`at_ms`, `start_ms`, `end_ms`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use serde_json::{json, Value};
use tabletalk_core::log::Item;
use tabletalk_core::records::{Record, SessionId, StoreEvent};

use crate::error::CliError;
use crate::logs::{self, ReadError};

/// Arguments of `tabletalk decode`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Example:
  tabletalk decode meeting.ttlog | jq -c 'select(.record == \"marker\")'

Damaged frames appear as {\"record\":\"damaged\",...} lines and are counted in a
warning on stderr; exit code 2 when nothing in the file decodes.")]
pub struct Args {
    /// The log file to decode (`-`: standard input).
    pub log: PathBuf,
}

fn session(id: SessionId) -> Value {
    json!({ "number": id.number, "nonce": id.nonce })
}

/// How many records and damaged frames [`write_lines`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Intact records.
    pub records: usize,
    /// Damaged frames.
    pub damaged: usize,
    /// Bytes read.
    pub bytes: usize,
    /// Where reading stopped early (too long without an intact frame).
    pub stopped_at: Option<usize>,
}

/// Writes the JSON lines of the log `input` to `out` as it is read, in
/// bounded memory (see [`logs::scan`]). A record's times in ms use the
/// latest header of its session before it.
///
/// # Errors
/// Reading `input` or writing `out` fails.
pub fn write_lines(input: impl Read, out: &mut impl Write) -> std::io::Result<Written> {
    let mut tick_of: HashMap<SessionId, u64> = HashMap::new();
    let mut written = Written::default();
    let mut failed = None;
    let scanned = logs::scan(input, |item, _| {
        if failed.is_some() {
            return;
        }
        let line = match item {
            Item::Damaged(d) => {
                written.damaged += 1;
                json!({
                    "record": "damaged",
                    "offset": d.range.start,
                    "length": d.range.len(),
                    "error": d.error.to_string(),
                })
            }
            Item::Record { range, record, .. } => {
                written.records += 1;
                match &record {
                    Record::Header(h) => {
                        tick_of.insert(h.session, u64::from(h.tick_ms));
                    }
                    // A session whose header was lost: its tick.
                    Record::Essentials(e) => {
                        tick_of.entry(e.session).or_insert(u64::from(e.tick_ms));
                    }
                    _ => {}
                }
                let mut line = record_line(&record, tick_of.get(&record.session()).copied());
                if let Some(object) = line.as_object_mut() {
                    object.insert("session".into(), session(record.session()));
                    object.insert("offset".into(), json!(range.start));
                    object.insert("length".into(), json!(range.len()));
                }
                line
            }
        };
        if let Err(e) = writeln!(out, "{line}") {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    written.bytes = scanned.bytes;
    written.stopped_at = scanned.stopped_at;
    Ok(written)
}

fn record_line(record: &Record<'_>, tick: Option<u64>) -> Value {
    let ms = |t: u64| tick.map(|k| t.saturating_mul(k));
    match record {
        Record::Header(h) => {
            let seats: Vec<Value> = h
                .seats
                .inputs()
                .enumerate()
                .map(|(i, input)| {
                    let label = u8::try_from(i).ok().and_then(|i| h.seats.label(i));
                    json!({ "seat": i, "input": input, "label": label })
                })
                .collect();
            json!({
                "record": "header",
                "device_id": h.device_id,
                "tick_ms": h.tick_ms,
                "started_at_unix_ms": h.started_at_unix_ms,
                "flush": { "max_turns": h.flush.max_turns, "max_age_ms": h.flush.max_age_ms },
                "params": h.params,
                "params_missing": h.params_missing,
                "params_unknown": h.params_unknown,
                "seats": seats,
            })
        }
        Record::Turns(batch) => {
            let turns: Vec<Value> = batch
                .turns()
                .map(|t| {
                    json!({
                        "seat": t.seat, "start": t.start, "end": t.end, "how": t.how,
                        "start_ms": ms(t.start), "end_ms": ms(t.end),
                    })
                })
                .collect();
            json!({ "record": "turns", "seq": batch.seq(), "turns": turns })
        }
        Record::Marker(m) => {
            json!({ "record": "marker", "at": m.at, "at_ms": ms(m.at), "kind": m.kind })
        }
        Record::Condition(c) => json!({
            "record": "condition", "seat": c.seat, "at": c.at, "at_ms": ms(c.at), "what": c.what,
        }),
        Record::Notice(n) => {
            let what = match n.what {
                StoreEvent::Full => json!({ "full": true }),
                StoreEvent::Overwritten { bytes } => json!({ "overwritten_bytes": bytes }),
                StoreEvent::Dropped { frames } => json!({ "dropped_frames": frames }),
                StoreEvent::EventsDropped { events } => json!({ "dropped_events": events }),
            };
            json!({ "record": "notice", "at": n.at, "at_ms": ms(n.at), "what": what })
        }
        Record::End(e) => json!({
            "record": "end", "at": e.at, "at_ms": ms(e.at), "turns": e.turns, "batches": e.batches,
        }),
        Record::Essentials(e) => json!({
            "record": "essentials",
            "device_id": e.device_id,
            "tick_ms": e.tick_ms,
            "started_at_unix_ms": e.started_at_unix_ms,
            "seats": e.seat_count,
            "header_check": format!("{:08x}", e.header_check),
        }),
    }
}

/// Runs `tabletalk decode`.
///
/// # Errors
/// I/O (exit 1); not a log (exit 2).
pub fn run(args: Args) -> anyhow::Result<()> {
    let (input, name): (Box<dyn Read>, String) =
        if args.log == std::path::Path::new(crate::inputs::STDIN) {
            (
                Box::new(std::io::stdin().lock()),
                "(standard input)".to_owned(),
            )
        } else {
            let name = args.log.display().to_string();
            let file = std::fs::File::open(&args.log)
                .map_err(|e| CliError::failure(format!("cannot read {name}: {e}")))?;
            (Box::new(file), name)
        };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match write_lines(std::io::BufReader::new(input), &mut out).and_then(|w| {
        out.flush()?;
        Ok(w)
    }) {
        Ok(written) => written,
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(CliError::failure(format!("cannot decode {name}: {e}")).into()),
    };
    if written.records == 0 {
        let error = if written.bytes == 0 {
            ReadError::Empty
        } else {
            ReadError::NotALog {
                bytes: written.bytes,
            }
        };
        return Err(CliError::bad_input(format!("{name}: {error}")).into());
    }
    let damaged = written.damaged;
    if damaged > 0 {
        crate::diag::warn(format_args!(
            "{name}: {damaged} damaged frame{} (see the \"damaged\" lines); everything intact was decoded",
            if damaged == 1 { "" } else { "s" }
        ));
    }
    if let Some(at) = written.stopped_at {
        crate::diag::warn(format_args!(
            "{name}: reading stopped at byte {at}: {} MiB without an intact frame",
            logs::MAX_GAP >> 20
        ));
    }
    Ok(())
}
