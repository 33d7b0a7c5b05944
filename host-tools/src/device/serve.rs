//! `tabletalk device live --serve`: the running meeting as one local web
//! page, for a screen or projector at the table.
//!
//! [`LiveServer`] answers plain HTTP/1.1 on one address (loopback unless
//! the user names another): `/` is a self-contained page (inline CSS and
//! script, nothing fetched from anywhere else), `/events` Server-Sent
//! Events of the board as JSON, one per change, `/state` the latest JSON. The numbers are the [`LiveBoard`]'s, which are the
//! core's live figures, the ones behind the device's LEDs: each seat's
//! share and share against its fair share, who holds the floor, who has
//! not spoken yet and how long since each seat last spoke.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;

use super::live::LiveBoard;

/// Where `--serve` listens when no address is given: this computer only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8765";

/// How long an event request from an up-to-date page waits for a change.
const KEEP_ALIVE: Duration = Duration::from_millis(250);

/// How soon a page asks again after each event (ms).
const RETRY_MS: u32 = 250;

/// The page, with its style and script inline.
const PAGE: &str = include_str!("live_page.html");

/// The board as the page's JSON: `names[i]` names seat `i` (from the
/// roster), else it is "seat i".
pub fn state_json(board: &LiveBoard, names: &[Option<String>]) -> String {
    let name = |seat: usize| {
        names
            .get(seat)
            .cloned()
            .flatten()
            .unwrap_or_else(|| format!("seat {seat}"))
    };
    let seats: Vec<_> = board
        .seats()
        .iter()
        .map(|s| {
            json!({
                "seat": s.seat,
                "name": name(s.seat),
                "speaking_ms": s.speaking_ms,
                "share": s.share,
                "share_of_fair": s.share_of_fair,
                "turns": s.turns,
                "speaking": s.speaking,
                "since_last_spoke_ms": s.since_last_spoke_ms,
                "holds_floor": s.holds_floor,
            })
        })
        .collect();
    json!({
        "session": board.session.map(|s| s.0),
        "now_ms": board.now(),
        "lost_frames": board.lost_frames,
        "seats": seats,
    })
    .to_string()
}

struct Shared {
    /// A version (counts publications) and the latest state.
    state: Mutex<(u64, String)>,
    changed: Condvar,
    stop: AtomicBool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, (u64, String)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The page's server; stops when dropped.
pub struct LiveServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl LiveServer {
    /// Listens on `addr` (e.g. [`DEFAULT_ADDR`]; port 0 picks a free one).
    ///
    /// # Errors
    /// The address cannot be bound (in use, not this computer's, …).
    pub fn bind(addr: &str) -> io::Result<LiveServer> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new((0, "{\"seats\":[]}".to_owned())),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::spawn(move || accept_loop(&listener, &accept_shared));
        Ok(LiveServer {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends `state` (see [`state_json`]) to every open page.
    pub fn publish(&self, state: String) {
        let mut guard = self.shared.state();
        guard.0 += 1;
        guard.1 = state;
        self.shared.changed.notify_all();
    }

    /// The latest state published.
    pub fn latest(&self) -> String {
        self.shared.state().1.clone()
    }

    /// Asks the server (and a `device live` loop serving it) to stop.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.changed.notify_all();
    }

    /// Whether [`LiveServer::stop`] was called.
    pub fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed)
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(shared);
                std::thread::spawn(move || {
                    let _ = answer(stream, &shared);
                });
            }
            // Non-blocking, so that a stop is noticed: look again shortly.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The request line's path, from a request head.
fn request_path(head: &str) -> Option<&str> {
    let mut parts = head.lines().next()?.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(path)) => Some(path.split('?').next().unwrap_or(path)),
        _ => None,
    }
}

fn answer(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    let head = String::from_utf8_lossy(&head);
    match request_path(&head) {
        Some("/") => respond(&mut stream, "200 OK", "text/html; charset=utf-8", PAGE),
        Some("/state") => {
            let state = shared.state().1.clone();
            respond(&mut stream, "200 OK", "application/json", &state)
        }
        Some("/events") => events(stream, shared, last_event_id(&head)),
        Some(_) => respond(&mut stream, "404 Not Found", "text/plain", "not found\n"),
        None => respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n",
        ),
    }
}

fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &str) -> io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// The `Last-Event-ID` a reconnecting page sends: the version it has.
fn last_event_id(head: &str) -> Option<u64> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("last-event-id"))
        .and_then(|(_, value)| value.trim().parse().ok())
}

/// One Server-Sent Event, then the connection closes and the page's
/// `EventSource` reconnects (`retry`), saying which version it has: a new
/// page gets the state at once, one that is up to date waits for the next
/// change (at most [`KEEP_ALIVE`]). Short-lived responses keep every
/// connection bounded and let a browser finish loading the page.
fn events(mut stream: TcpStream, shared: &Shared, last: Option<u64>) -> io::Result<()> {
    let (version, state) = {
        let mut guard = shared.state();
        if last == Some(guard.0) && !shared.stop.load(Ordering::Relaxed) {
            guard = shared
                .changed
                .wait_timeout(guard, KEEP_ALIVE)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        (guard.0, guard.1.clone())
    };
    let body = if last == Some(version) {
        format!("retry: {RETRY_MS}\n: nothing new\n\n")
    } else {
        format!("retry: {RETRY_MS}\nid: {version}\ndata: {state}\n\n")
    };
    respond(&mut stream, "200 OK", "text/event-stream", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::client::LiveFrame;
    use tabletalk_core::protocol::LiveUpdate;
    use tabletalk_core::seat::SeatId;
    use tabletalk_core::turns::{Event, TurnEnd};

    #[test]
    fn last_event_ids() {
        assert_eq!(
            last_event_id("GET /events HTTP/1.1\r\nLast-Event-ID: 12\r\n\r\n"),
            Some(12)
        );
        assert_eq!(
            last_event_id("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"),
            None
        );
    }

    #[test]
    fn request_paths() {
        assert_eq!(request_path("GET / HTTP/1.1\r\n"), Some("/"));
        assert_eq!(
            request_path("GET /events?x=1 HTTP/1.1\r\n"),
            Some("/events")
        );
        assert_eq!(request_path("POST / HTTP/1.1\r\n"), None);
        assert_eq!(request_path(""), None);
    }

    #[test]
    fn the_state_names_seats_and_carries_the_core_figures() {
        let mut board = LiveBoard::with_seats([0, 1]);
        let seat = SeatId::new(0).unwrap();
        for (seq, event) in [
            Event::TurnStarted { seat, at: 0 },
            Event::TurnEnded {
                seat,
                start: 0,
                end: 3_000,
                how: TurnEnd::Natural,
            },
        ]
        .into_iter()
        .enumerate()
        {
            board.apply(&LiveFrame {
                seq: seq as u32,
                update: LiveUpdate::Event(event),
            });
        }
        let state: serde_json::Value =
            serde_json::from_str(&state_json(&board, &[Some("Ana".into())])).unwrap();
        let seats = state["seats"].as_array().unwrap();
        assert_eq!(seats[0]["name"], "Ana");
        assert_eq!(seats[1]["name"], "seat 1");
        assert_eq!(seats[0]["share"], 1.0);
        assert_eq!(seats[0]["share_of_fair"], 2.0);
        assert_eq!(seats[1]["turns"], 0);
        assert_eq!(seats[1]["since_last_spoke_ms"], serde_json::Value::Null);
        assert_eq!(seats[0]["since_last_spoke_ms"], 0);
    }

    #[test]
    fn serves_the_page_and_the_state_on_loopback() {
        let server = LiveServer::bind("127.0.0.1:0").unwrap();
        server.publish("{\"seats\":[],\"probe\":7}".into());
        let get = |path: &str| {
            let mut stream = TcpStream::connect(server.local_addr()).unwrap();
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).unwrap();
            text
        };
        let page = get("/");
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
        assert!(page.contains("new EventSource(\"events\")"), "{page}");
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(get("/state").ends_with("{\"seats\":[],\"probe\":7}"));
        assert!(get("/nothing").starts_with("HTTP/1.1 404"));
        let event = get("/events");
        assert!(event.contains("text/event-stream"), "{event}");
        assert!(
            event.ends_with("id: 1\ndata: {\"seats\":[],\"probe\":7}\n\n"),
            "{event}"
        );
    }
}
