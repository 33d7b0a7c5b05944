//! `tabletalk device live --serve` in a real headless browser (Debian's
//! chromium), against the simulated device: the page that a screen at the
//! table shows has the core's live figures, names from the roster, who has
//! not spoken yet and how long since each seat last spoke, updated over
//! Server-Sent Events. Only loopback traffic; bounded (chromium at most
//! 120 s, the live loop until the test stops its server).
//!
//! About 5 s once built (mostly chromium starting). Skipped with a message when chromium is absent,
//! unless `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::time::{Duration, Instant};

use tabletalk::commands::device::{live, Console, LivePage};
use tabletalk::device::client::LinkOptions;
use tabletalk::device::pipe::duplex;
use tabletalk::device::serve::LiveServer;
use tabletalk::device::simulator::{MemoryDevice, SimulatedDevice};
use tabletalk::device::DeviceClient;
use tabletalk_core::protocol::{LiveUpdate, SeatSettings, StoredSessionId};
use tabletalk_core::seat::SeatId;
use tabletalk_core::turns::{Event, TurnEnd};
use tabletalk_tests::browser::{chromium, headless};

/// Waits (at most 20 s) until `server`'s state contains `text`.
fn wait_for(server: &LiveServer, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.latest().contains(text) {
        assert!(
            Instant::now() < deadline,
            "no state with {text}: {}",
            server.latest()
        );
        std::thread::yield_now();
    }
}

#[test]
fn the_live_page_shows_the_devices_figures_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is not installed (scripts/setup.sh --tests)"
        );
        eprintln!(
            "SKIPPED the_live_page_shows_the_devices_figures_in_chromium: chromium not installed"
        );
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("live_browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let mut device = MemoryDevice::new(3);
    for seat in 0..3 {
        device
            .config
            .seats
            .push(SeatSettings::button(SeatId::new(seat).unwrap()))
            .unwrap();
    }
    let (host, dev) = duplex();
    let sim = SimulatedDevice::spawn(device, dev);
    let options = LinkOptions {
        timeout: Duration::from_millis(500),
        attempts: 3,
    };
    let mut client = DeviceClient::connect(host, options).unwrap();
    let server = LiveServer::bind("127.0.0.1:0").unwrap();
    let names = [
        Some("Ana".to_owned()),
        Some("Ben".to_owned()),
        Some("Cleo".to_owned()),
    ];
    let url = format!("http://{}/", server.local_addr());

    std::thread::scope(|scope| {
        let looping = scope.spawn(|| {
            let mut out = Vec::new();
            let mut confirm = |_: &str| None;
            let mut console = Console {
                out: &mut out,
                terminal: false,
                confirm: &mut confirm,
            };
            let page = LivePage {
                server: &server,
                names: &names,
            };
            live(
                &mut client,
                Some(Duration::from_secs(110)),
                true,
                Some(page),
                &mut console,
            )
        });
        // The seats appear once the loop has subscribed.
        wait_for(&server, "\"name\":\"Cleo\"");
        let (ana, ben) = (SeatId::new(0).unwrap(), SeatId::new(1).unwrap());
        for update in [
            LiveUpdate::Event(Event::TurnStarted { seat: ana, at: 0 }),
            LiveUpdate::Event(Event::TurnEnded {
                seat: ana,
                start: 0,
                end: 30_000,
                how: TurnEnd::Natural,
            }),
            LiveUpdate::Event(Event::TurnStarted {
                seat: ben,
                at: 31_000,
            }),
            LiveUpdate::Tick {
                session: Some(StoredSessionId(4)),
                now: 41_000,
                speaking: 0b010,
            },
        ] {
            sim.push_live(update);
        }
        wait_for(&server, "\"now_ms\":41000");

        let (ok, dom, log) = headless(
            &chromium,
            &dir,
            &["--dump-dom", "--virtual-time-budget=1500"],
            &url,
        );
        server.stop();
        looping.join().unwrap().unwrap();
        assert!(ok, "chromium --dump-dom failed: {log}");
        // The core's figures: 30 of 40 s and 10 of 40 s over three counted
        // seats (3 × 0.75 = 2.25 times a fair share).
        let row = |name: &str| {
            let start = dom
                .find(&format!(">{name}</td>"))
                .unwrap_or_else(|| panic!("{dom}"));
            let end = dom[start..].find("</tr>").unwrap() + start;
            dom[start..end].to_owned()
        };
        let (a, b, c) = (row("Ana"), row("Ben"), row("Cleo"));
        assert!(
            a.contains(">75%<") && a.contains(">2.25×<") && a.contains(">0:11 ago<"),
            "{a}"
        );
        assert!(
            b.contains(">25%<") && b.contains(">0.75×<") && b.contains(">speaking<"),
            "{b}"
        );
        assert!(c.contains(">0%<") && c.contains(">not yet<"), "{c}");
        assert!(dom.contains("Not heard from yet: Cleo"), "{dom}");
        assert!(dom.contains("session 4 · 0:41"), "{dom}");
        assert!(
            dom.contains("class=\"floor speaking\"") || dom.contains("class=\"speaking floor\""),
            "{dom}"
        );
    });
}
