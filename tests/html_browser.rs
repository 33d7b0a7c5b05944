//! The HTML report in a real headless browser (Debian's chromium): it
//! renders, logs no errors, and its screenshot is not blank.
//!
//! Skipped with a message when chromium is absent, unless `CI` is set
//! (there it must be installed: `scripts/setup.sh --tests`).

use std::path::Path;

use tabletalk_tests::browser::{chromium, headless};

use tabletalk::metrics::Options;
use tabletalk::report::{html, Report};
use tabletalk::roster::Roster;
use tabletalk::session::Session;
use tabletalk_core::turns::{Event, MarkerKind};
use tabletalk_eval::rttm::{group_recordings, parse_rttm, parse_uem};

fn fixture(path: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(path),
    )
    .unwrap()
}

/// Two AMI meetings (one with agenda markers added) and a VoxConverse
/// debate, with a roster: every chart of the page is exercised.
fn sessions() -> Vec<Session> {
    let mut sessions = Vec::new();
    for (rttm, uem) in [
        ("ami/ES2011a.rttm", "ami/ES2011a.uem"),
        ("ami/IB4001.rttm", "ami/IB4001.uem"),
        ("voxconverse/kbkon.rttm", ""),
    ] {
        let rttm = fixture(rttm);
        let uem = if uem.is_empty() {
            String::new()
        } else {
            fixture(uem)
        };
        for recording in group_recordings(&parse_rttm(&rttm).unwrap(), &parse_uem(&uem).unwrap()) {
            sessions.push(tabletalk::annotation::session(
                &recording.ticked(1),
                &recording,
            ));
        }
    }
    // Agenda points in the first meeting, as a facilitator would press them.
    let first = &sessions[0];
    let mut builder = tabletalk::session::SessionBuilder::new(first.seats.clone());
    builder
        .source(first.source.clone(), 0)
        .extent(first.start_ms, first.end_ms);
    for turn in &first.turns {
        builder.push_turn(
            turn.seat,
            turn.start_ms,
            turn.end_ms,
            tabletalk_core::turns::TurnEnd::Natural,
        );
    }
    for at in [240_000, 600_000] {
        builder.push(&Event::Marker {
            at,
            kind: MarkerKind::Agenda,
        });
    }
    sessions[0] = builder.finish();
    sessions
}

fn browser(chromium: &Path, dir: &Path, extra: &[&str], page: &Path) -> (bool, String, String) {
    headless(chromium, dir, extra, &format!("file://{}", page.display()))
}

#[test]
fn html_report_renders_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is not installed (scripts/setup.sh --tests)"
        );
        eprintln!("SKIPPED html_report_renders_in_chromium: chromium not installed (scripts/setup.sh --tests installs it)");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let sessions = sessions();
    let roster = Roster::parse(
        "[[seat]]\nlabel = \"FEE041\"\nname = \"Ana\"\norganisation = \"Council\"\nrole = \"chair\"\n\
         [[seat]]\nlabel = \"FEE042\"\norganisation = \"Council\"\n\
         [[seat]]\nlabel = \"FEE043\"\norganisation = \"Harbour Trust\"\n",
    )
    .unwrap();
    let options = Options {
        window_ms: Some(120_000),
        ..Options::default()
    };
    let report = Report::build(&sessions, Vec::new(), &options, Some(&roster));
    let page = dir.join("report.html");
    let mut bytes = Vec::new();
    html::write(&report, &sessions, &mut bytes).unwrap();
    std::fs::write(&page, &bytes).unwrap();

    // The DOM as the browser built it: every chart is there.
    let (ok, dom, log) = browser(&chromium, &dir, &["--dump-dom"], &page);
    assert!(ok, "chromium --dump-dom failed: {log}");
    assert!(dom.contains("Who spoke at the table"));
    assert_eq!(dom.matches("class=\"session\"").count(), 3);
    for chart in [
        "class=\"share\"",
        "class=\"timeline\"",
        "class=\"transitions\"",
        "class=\"balance\"",
        "class=\"groups\"",
        "class=\"trend\"",
    ] {
        assert!(
            dom.contains(chart),
            "{chart} missing from the rendered page"
        );
    }
    for problem in [
        "Uncaught",
        "SyntaxError",
        "ERR_",
        "Failed to load resource",
        "Refused to",
    ] {
        assert!(!log.contains(problem), "browser log has {problem}: {log}");
    }
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && l.contains("ERROR"))
        .collect();
    assert!(console_errors.is_empty(), "{console_errors:?}");

    // The picture: not blank.
    let shot = dir.join("report.png");
    let (ok, _, log) = browser(
        &chromium,
        &dir,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,2400",
            "--hide-scrollbars",
        ],
        &page,
    );
    assert!(ok && shot.exists(), "no screenshot: {log}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let pixels = &pixels[..info.buffer_size()];
    let mut colours = std::collections::HashMap::new();
    for px in pixels.chunks(channels) {
        *colours.entry(px[..3].to_vec()).or_insert(0usize) += 1;
    }
    let total = pixels.len() / channels;
    let background = colours.values().copied().max().unwrap_or(0);
    let share = (total - background) as f64 / total as f64;
    eprintln!(
        "screenshot {}x{}: {} distinct colours, {:.0}% of pixels differ from the most common colour ({})",
        info.width,
        info.height,
        colours.len(),
        share * 100.0,
        shot.display()
    );
    assert_eq!((info.width, info.height), (1200, 2400));
    assert!(
        colours.len() >= 50,
        "only {} colours: blank page?",
        colours.len()
    );
    assert!(
        share > 0.1,
        "only {:.1}% of the page is drawn",
        share * 100.0
    );
}
