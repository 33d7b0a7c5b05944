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

/// Measures the page as laid out at a window width: every `<details>`
/// opened, then the page's width against the window's, the smallest chart
/// text as rendered (its font size times the chart's scale), and chart
/// texts that stick out of their chart. The page runs in an iframe of that
/// width (a headless window is at least 500 px wide) and writes into the
/// parent's DOM for `--dump-dom` to carry out.
const MEASURE: &str = r#"<script>
for (const d of document.querySelectorAll('details')) d.open = true;
let smallest = 1e9, clipped = [];
for (const svg of document.querySelectorAll('svg')) {
  const box = svg.viewBox.baseVal, scale = svg.getBoundingClientRect().width / box.width;
  for (const t of svg.querySelectorAll('text')) {
    smallest = Math.min(smallest, parseFloat(t.getAttribute('font-size')) * scale);
    if (t.hasAttribute('transform')) continue;
    const b = t.getBBox();
    if (b.x < -0.5 || b.x + b.width > box.width + 0.5) clipped.push(t.textContent);
  }
}
parent.document.body.setAttribute('data-measure',
  'page=' + document.documentElement.scrollWidth + ';window=' + window.innerWidth +
  ';text=' + smallest.toFixed(2) + ';clipped=' + clipped.length + ':' + clipped.slice(0, 3).join('|') + ';');
</script>"#;

fn measured<'a>(dom: &'a str, key: &str) -> &'a str {
    let start = dom
        .find("data-measure=\"")
        .expect("no measurement in the DOM")
        + 14;
    let rest = &dom[start..];
    let at = rest.find(&format!("{key}=")).unwrap() + key.len() + 1;
    let value = &rest[at..];
    &value[..value.find(';').unwrap()]
}

/// A series with a long name and more than 20 speakers, read on a phone and
/// a desktop: the page never scrolls sideways, even with every table
/// open; chart text is at least 10 px tall; no chart text is cut off.
/// Then printed to PDF: A4 pages. About 10 s.
#[test]
fn html_report_fits_a_phone_and_a4() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is not installed"
        );
        eprintln!("SKIPPED html_report_fits_a_phone_and_a4: chromium not installed");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_phone");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut sessions = sessions();
    let vmaiq = fixture("voxconverse/vmaiq.rttm");
    for recording in group_recordings(&parse_rttm(&vmaiq).unwrap(), &[]) {
        sessions.push(tabletalk::annotation::session(
            &recording.ticked(1),
            &recording,
        ));
    }
    let roster = Roster::parse(
        "[[seat]]\nlabel = \"FEE041\"\nname = \"Margaret Okonkwo-Fairweather\"\norganisation = \"City Council of the Harbour District\"\n\
         [[seat]]\nlabel = \"FEE042\"\norganisation = \"Harbour Trust\"\n",
    )
    .unwrap();
    let report = Report::build(&sessions, Vec::new(), &Options::default(), Some(&roster));
    let mut bytes = Vec::new();
    html::write(&report, &sessions, &mut bytes).unwrap();
    let page = String::from_utf8(bytes).unwrap();
    let speakers = sessions.iter().map(|s| s.seats.len()).max().unwrap();
    assert!(speakers >= 17, "{speakers} speakers");

    let inner = page
        .replace("</body>", &format!("{MEASURE}</body>"))
        .replace('&', "&amp;")
        .replace('"', "&quot;");
    for width in [390, 1280] {
        let measuring = dir.join(format!("measure-{width}.html"));
        std::fs::write(
            &measuring,
            format!("<!DOCTYPE html><html><body style=\"margin:0\"><iframe style=\"border:0;width:{width}px;height:900px\" srcdoc=\"{inner}\"></iframe></body></html>"),
        )
        .unwrap();
        let (ok, dom, log) = browser(
            &chromium,
            &dir,
            &[
                "--dump-dom",
                "--window-size=1400,1000",
                "--virtual-time-budget=5000",
            ],
            &measuring,
        );
        assert!(ok, "chromium failed at {width} px: {log}");
        let page_width: f64 = measured(&dom, "page").parse().unwrap();
        let window: f64 = measured(&dom, "window").parse().unwrap();
        let text: f64 = measured(&dom, "text").parse().unwrap();
        let clipped = measured(&dom, "clipped");
        eprintln!("at {width} px: page {page_width} px wide in a {window} px window, smallest chart text {text} px, clipped texts {clipped}");
        assert_eq!(
            window,
            f64::from(width),
            "the window is not {width} px wide"
        );
        assert!(
            page_width <= window,
            "the page scrolls sideways at {width} px: {page_width} px"
        );
        assert!(text >= 10.0, "chart text {text} px at {width} px");
        assert!(
            clipped.starts_with("0:"),
            "clipped chart texts at {width} px: {clipped}"
        );
    }

    let plain = dir.join("report.html");
    std::fs::write(&plain, &page).unwrap();
    let pdf = dir.join("report.pdf");
    let (ok, _, log) = browser(
        &chromium,
        &dir,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
        &plain,
    );
    assert!(ok && pdf.exists(), "no PDF: {log}");
    let bytes = std::fs::read(&pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    // Every page's MediaBox is A4: 595.3 × 841.9 pt.
    let boxes: Vec<(f64, f64)> = text
        .split("/MediaBox [0 0 ")
        .skip(1)
        .filter_map(|rest| {
            let mut numbers = rest.split([' ', ']']).filter_map(|n| n.parse::<f64>().ok());
            Some((numbers.next()?, numbers.next()?))
        })
        .collect();
    eprintln!("PDF: {} bytes, {} pages", bytes.len(), boxes.len());
    assert!(!boxes.is_empty(), "no pages in the PDF");
    let a4 = boxes
        .iter()
        .filter(|(w, h)| (w - 595.3).abs() < 1.0 && (h - 841.9).abs() < 1.0)
        .count();
    assert_eq!(a4, boxes.len(), "pages not A4: {boxes:?}");
}
