//! The HTML report in a real browser: Debian's headless Chromium (installed by
//! .ci/run) loads it without console errors, the screenshot is not blank, the
//! charts are in the rendered DOM, and the host filter honours the URL
//! fragment (`#verdict=…`, `#q=…`) as a user's bookmark would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FLEET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/mixed-fleet.jsonl"
);

fn chromium() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Runs headless Chromium on `url` with a fresh profile and the given extra flags.
fn browse(browser: &Path, profile: &Path, url: &str, extra: &[&str]) -> Output {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Console errors Chromium logs for the page (uncaught exceptions, failed loads).
fn console_errors(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| {
            (l.contains("CONSOLE") && (l.contains("Uncaught") || l.contains("Error")))
                || l.contains("net::ERR_")
                || l.contains("Refused to")
        })
        .map(str::to_string)
        .collect()
}

fn attr<'a>(dom: &'a str, tag_start: &str, name: &str) -> Option<&'a str> {
    let at = dom.find(tag_start)?;
    let tag_end = at + dom[at..].find('>')?;
    let tag = &dom[at..tag_end];
    let key = format!("{name}=\"");
    let v = tag.find(&key)? + key.len();
    Some(&tag[v..v + tag[v..].find('"')?])
}

fn visible_hosts(dom: &str) -> Vec<String> {
    dom.split("<tbody class=\"host\"")
        .skip(1)
        .filter(|t| {
            let open = &t[..t.find('>').unwrap_or(0)];
            !open.contains("hidden")
        })
        .filter_map(|t| {
            let s = t.find("<td data-sort=")?;
            let v = s + t[s..].find('>')? + 1;
            let end = v + t[v..].find(['<'])?;
            Some(t[v..end].to_string())
        })
        .collect()
}

#[test]
#[ignore = "needs chromium: CI runs it"]
fn the_html_report_works_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("AMTREADY_REQUIRE_PEERS").is_none(),
            "chromium is required (.ci/run installs it)"
        );
        eprintln!("skipped: chromium not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("readiness.html");
    let out = Command::new(env!("CARGO_BIN_EXE_amtready"))
        .args(["report", FLEET, "--format", "html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(&html, &out.stdout).unwrap();
    let url = format!("file://{}", html.display());

    // Loads, renders, no console errors; the screenshot has content.
    let shot = dir.path().join("shot.png");
    let run = browse(
        &browser,
        &dir.path().join("p1"),
        &url,
        &[
            "--window-size=1280,900",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    assert_eq!(console_errors(&run.stderr), Vec::<String>::new());
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&shot).expect("a screenshot was written"),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let px = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let mut non_white = 0usize;
    for p in bytes.chunks(px) {
        colours.insert(p[..3.min(px)].to_vec());
        if p[..3.min(px)].iter().any(|c| *c < 235) {
            non_white += 1;
        }
    }
    let total = bytes.len() / px;
    assert!(colours.len() > 50, "{} colours: blank page?", colours.len());
    assert!(
        non_white * 20 > total,
        "{non_white} of {total} pixels drawn"
    );

    // The rendered DOM: script ran, charts present, every host listed.
    let dom =
        String::from_utf8(browse(&browser, &dir.path().join("p2"), &url, &["--dump-dom"]).stdout)
            .unwrap();
    assert_eq!(attr(&dom, "<html", "data-ready"), Some("1"), "script ran");
    assert_eq!(
        attr(&dom, "<html", "data-js-error"),
        None,
        "no script error"
    );
    for id in [
        "chart-verdicts",
        "chart-amt-status",
        "chart-firmware",
        "chart-blocking",
    ] {
        let at = dom
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id}"));
        let fig = &dom[at..at + dom[at..].find("</figure>").unwrap()];
        assert!(
            fig.contains("<svg") && fig.contains("class=\"bar "),
            "{id}: {fig}"
        );
    }
    assert_eq!(attr(&dom, "<body", "data-visible"), Some("12"));
    assert_eq!(visible_hosts(&dom).len(), 12);

    // Filtered by verdict through the fragment: only the six not ready hosts.
    let dom = String::from_utf8(
        browse(
            &browser,
            &dir.path().join("p3"),
            &format!("{url}#verdict=not_ready"),
            &["--dump-dom"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(attr(&dom, "<body", "data-visible"), Some("6"));
    let mut shown = visible_hosts(&dom);
    shown.sort();
    assert_eq!(
        shown,
        [
            "10.20.0.10",
            "10.20.0.12",
            "10.20.0.15",
            "10.20.0.6",
            "10.20.0.8",
            "10.20.0.9"
        ]
    );
    assert!(dom.contains("Showing 6 of 12 hosts"));

    // Free text and status together: words match anywhere in a host's row.
    let dom = String::from_utf8(
        browse(
            &browser,
            &dir.path().join("p4"),
            &format!("{url}#q=enterprise%20ws-0005&status=provisioned"),
            &["--dump-dom"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(visible_hosts(&dom), ["10.20.0.5"]);

    // Sorted by AMT version, newest first (numeric, not text: 11.8 above 5.2).
    let dom = String::from_utf8(
        browse(
            &browser,
            &dir.path().join("p5"),
            &format!("{url}#sort=1&dir=desc"),
            &["--dump-dom"],
        )
        .stdout,
    )
    .unwrap();
    let order = visible_hosts(&dom);
    assert_eq!(order.len(), 12);
    assert_eq!(order[0], "10.20.0.9", "11.8.55 first: {order:?}");
    assert_eq!(order[1], "10.20.0.10", "then 7.1.91: {order:?}");
}

/// The demo's HTML report with what varies between runs taken out (the
/// mock devices' ports), and its SHA-256: what the documented screenshot
/// was taken of.
fn demo_html() -> (Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_amtready"))
        .args(["demo", "--format", "html", "--no-progress"])
        .env_remove("AMTREADY_LOG")
        .output()
        .expect("the demo runs");
    assert!(out.status.success(), "{out:?}");
    let html = String::from_utf8(out.stdout).expect("UTF-8");
    // `127.77.0.5:41233` -> `127.77.0.5`: the ports are the only thing that
    // changes from one demo to the next.
    let mut stable = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(at) = rest.find("127.77.0.") {
        let (head, tail) = rest.split_at(at + "127.77.0.".len());
        stable.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        stable.push_str(&tail[..digits]);
        let mut after = &tail[digits..];
        if let Some(port) = after.strip_prefix(':') {
            after = port.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        rest = after;
    }
    stable.push_str(rest);
    let digest = ring::digest::digest(&ring::digest::SHA256, stable.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    (html.into_bytes(), hex)
}

const SCREENSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/html-report.png");
const DIGEST_KEY: &str = "amtready-demo-sha256";

/// The screenshot the README shows is of today's demo: it carries the
/// digest of the report it was taken of. `AMTREADY_BLESS=1` retakes it.
#[test]
#[ignore = "needs chromium: CI runs it"]
fn the_documented_screenshot_is_of_today_s_demo() {
    let (html, digest) = demo_html();
    if std::env::var("AMTREADY_BLESS").is_ok_and(|v| v == "1") {
        let browser = chromium().expect("chromium, to retake the screenshot");
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("demo.html");
        std::fs::write(&page, &html).unwrap();
        let shot = dir.path().join("shot.png");
        browse(
            &browser,
            &dir.path().join("p"),
            &format!("file://{}", page.display()),
            &[
                "--window-size=1200,1400",
                "--hide-scrollbars",
                &format!("--screenshot={}", shot.display()),
            ],
        );
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let file = std::fs::File::create(SCREENSHOT).unwrap();
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), info.width, info.height);
        encoder.set_color(info.color_type);
        encoder.set_depth(info.bit_depth);
        encoder.set_compression(png::Compression::High);
        encoder
            .add_text_chunk(DIGEST_KEY.to_string(), digest.clone())
            .unwrap();
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&buf[..info.buffer_size()]).unwrap();
        writer.finish().unwrap();
    }
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(SCREENSHOT).expect("docs/html-report.png"),
    ));
    let reader = decoder.read_info().unwrap();
    let recorded = reader
        .info()
        .uncompressed_latin1_text
        .iter()
        .find(|t| t.keyword == DIGEST_KEY)
        .map(|t| t.text.clone());
    assert_eq!(
        recorded.as_deref(),
        Some(digest.as_str()),
        "docs/html-report.png is not of today's demo report: retake it with \
         AMTREADY_BLESS=1 cargo test --test it -- --ignored html_browser::the_documented_screenshot"
    );
}
