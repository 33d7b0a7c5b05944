//! `tabletalk decode LOG`: every record as JSON lines, for scripting.
//!
//! One JSON object per line, in log order, each with `record` (`header`,
//! `turns`, `marker`, `condition`, `notice`, `end`, or `damaged`), the
//! frame's byte `offset` and `length`, and the record's fields. Times are
//! given in ticks (`at`, `start`, `end`) and, where the session's header is
//! known, in ms (`at_ms`, `start_ms`, `end_ms`).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use serde_json::{json, Value};
use tabletalk_core::log::{Item, LogReader};
use tabletalk_core::records::{Record, SessionId, StoreEvent};

use crate::error::CliError;

/// Arguments of `tabletalk decode`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Example:
  tabletalk decode meeting.ttlog | jq -c 'select(.record == \"marker\")'

Damaged frames appear as {\"record\":\"damaged\",...} lines and are counted in a
warning on stderr; exit code 2 when nothing in the file decodes.")]
pub struct Args {
    /// The log file to decode.
    pub log: PathBuf,
}

fn session(id: SessionId) -> Value {
    json!({ "number": id.number, "nonce": id.nonce })
}

/// The JSON lines of a log, and how many frames were damaged.
///
/// # Errors
/// Nothing decodable: not a log (exit code 2).
pub fn lines(bytes: &[u8], name: &str) -> Result<(Vec<Value>, usize), CliError> {
    let mut scratch = vec![0u8; bytes.len()];
    let reader = LogReader::new(bytes, &mut scratch)
        .map_err(|e| CliError::bad_input(format!("{name}: {e}")))?;
    let mut tick_of: HashMap<SessionId, u64> = HashMap::new();
    let mut out = Vec::new();
    let (mut records, mut damaged) = (0usize, 0usize);
    for item in reader {
        let (range, record) = match item {
            Item::Damaged(d) => {
                damaged += 1;
                out.push(json!({
                    "record": "damaged",
                    "offset": d.range.start,
                    "length": d.range.len(),
                    "error": d.error.to_string(),
                }));
                continue;
            }
            Item::Record { range, record, .. } => (range, record),
        };
        records += 1;
        let tick = tick_of.get(&record.session()).copied();
        let ms = |t: u64| tick.map(|k| t.saturating_mul(k));
        let mut line = match record {
            Record::Header(h) => {
                tick_of.entry(h.session).or_insert(u64::from(h.tick_ms));
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
        };
        if let Some(object) = line.as_object_mut() {
            object.insert("session".into(), session(record.session()));
            object.insert("offset".into(), json!(range.start));
            object.insert("length".into(), json!(range.len()));
        }
        out.push(line);
    }
    if records == 0 {
        return Err(CliError::bad_input(if bytes.is_empty() {
            format!("{name}: empty file, not a tabletalk log")
        } else {
            format!(
                "{name}: not a tabletalk log: no intact frame in {} bytes",
                bytes.len()
            )
        }));
    }
    Ok((out, damaged))
}

/// Runs `tabletalk decode`.
///
/// # Errors
/// I/O (exit 1); not a log (exit 2).
pub fn run(args: Args) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.log)
        .map_err(|e| CliError::failure(format!("cannot read {}: {e}", args.log.display())))?;
    let name = args.log.display().to_string();
    let (lines, damaged) = lines(&bytes, &name)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = lines
        .iter()
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(CliError::failure(format!("cannot write: {e}")).into())
        }
        _ => {}
    }
    if damaged > 0 {
        eprintln!(
            "tabletalk: warning: {name}: {damaged} damaged frame{} (see the \"damaged\" lines); everything intact was decoded",
            if damaged == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
