//! The documentation a newcomer reads cannot drift from the code:
//! `docs/cli-reference.md` is the command line's own `--help`, rendered here
//! and compared with the file (`AMTREADY_BLESS=1 cargo test --bin amtready docs`
//! rewrites it), and every relative Markdown link in the README, `docs/` and
//! mock-amt's README points to a file that exists and, with an anchor, to one
//! of its headings.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::Cli;

/// The width the reference is rendered at, whatever `COLUMNS` says.
const WIDTH: usize = 100;

#[cfg(feature = "demo")]
const REFERENCE: &str = "docs/cli-reference.md";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One command's long help, as plain text at [`WIDTH`] columns. Environment
/// values are hidden so the file does not depend on the caller's environment.
fn long_help(cmd: &clap::Command) -> String {
    let mut cmd = cmd
        .clone()
        .term_width(WIDTH)
        .mut_args(|arg| arg.hide_env_values(true));
    let text = cmd.render_long_help().to_string();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    format!("{}\n", lines.join("\n").trim_end())
}

/// `docs/cli-reference.md` as the current binary would have it.
fn render_reference() -> String {
    let mut cli = Cli::command().term_width(WIDTH);
    cli.build();
    let mut out = String::from(
        "# CLI reference\n\n\
         The `--help` of `amtready` and of each of its commands, rendered at 100\n\
         columns. Generated from the code by `src/cli/tests/docs.rs`, which fails when this\n\
         file is stale; `AMTREADY_BLESS=1 cargo test --bin amtready docs` rewrites it. What\n\
         the flags are for, task by task, is in the [user guide](user-guide.md); the\n\
         exit codes are in the [README](../README.md#exit-codes).\n\n",
    );
    let subs: Vec<&clap::Command> = cli
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
        .collect();
    for sub in &subs {
        let name = sub.get_name();
        out.push_str(&format!("- [`amtready {name}`](#amtready-{name})\n"));
    }
    out.push_str("\n## amtready\n\n```text\n");
    out.push_str(&long_help(&cli));
    out.push_str("```\n");
    for sub in subs {
        out.push_str(&format!(
            "\n## amtready {}\n\n```text\n{}```\n",
            sub.get_name(),
            long_help(sub)
        ));
    }
    out
}

// The reference documents the default build, which has `demo`.
#[cfg(feature = "demo")]
#[test]
fn the_cli_reference_is_the_current_help() {
    let rendered = render_reference();
    let path = root().join(REFERENCE);
    if std::env::var_os("AMTREADY_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != rendered {
        let first = on_disk
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(on_disk.lines().count().min(rendered.lines().count()));
        panic!(
            "{REFERENCE} is stale (first difference at line {}): run \
             `AMTREADY_BLESS=1 cargo test --bin amtready docs` and commit it",
            first + 1
        );
    }
}

#[test]
fn the_reference_covers_every_subcommand() {
    let reference = render_reference();
    let mut cli = Cli::command();
    cli.build();
    let names: Vec<&str> = cli.get_subcommands().map(|s| s.get_name()).collect();
    // A walk that found nothing would pass vacuously.
    for expected in [
        "scan", "demo", "validate", "report", "site", "rules", "cert",
    ] {
        assert!(names.contains(&expected), "no subcommand {expected}");
    }
    for name in names.iter().filter(|n| **n != "help") {
        assert!(
            reference.contains(&format!("\n## amtready {name}\n")),
            "{name} is not in the reference"
        );
    }
}

// ---------------------------------------------------------------------------
// Links.

/// The Markdown files whose links are checked.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("mock-amt/README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The lines of `text` outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        match fence {
            Some(marker) => {
                if trimmed.starts_with(marker) {
                    fence = None;
                }
            }
            None => {
                if trimmed.starts_with("```") {
                    fence = Some("```");
                } else if trimmed.starts_with("~~~") {
                    fence = Some("~~~");
                } else {
                    out.push(line);
                }
            }
        }
    }
    out
}

/// A line with its inline code spans blanked, so `` `[a](b)` `` is no link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
            out.push(' ');
        } else if in_code {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Every `[text](target)` target of a Markdown text (images included).
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(text) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            match after.find(')') {
                Some(end) => {
                    let target = after[..end].trim();
                    // `[text](path "title")`: the path is the first word.
                    let target = target.split_whitespace().next().unwrap_or("");
                    let target = target.trim_start_matches('<').trim_end_matches('>');
                    targets.push(target.to_owned());
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
    }
    targets
}

/// GitHub's anchor for a heading: lowercase, spaces to `-`, punctuation but
/// `-` and `_` removed.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks), with
/// GitHub's `-1`, `-2` suffixes for repeated headings.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    for line in prose_lines(text) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(line[hashes..].trim().trim_end_matches('#'));
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// What is wrong with one link of `from`, if anything.
fn check_link(from: &Path, target: &str) -> Option<String> {
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:")
    {
        return None; // external: not fetched
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let file = if path.is_empty() {
        from.to_path_buf()
    } else {
        from.parent().unwrap().join(path)
    };
    if !file.exists() {
        return Some(format!("{target}: {} does not exist", file.display()));
    }
    let anchor = anchor?;
    if file.extension().is_none_or(|e| e != "md") {
        return Some(format!(
            "{target}: an anchor into a file that is not Markdown"
        ));
    }
    let text = std::fs::read_to_string(&file).unwrap();
    if anchors(&text).contains(anchor) {
        None
    } else {
        Some(format!(
            "{target}: no heading `#{anchor}` in {}",
            file.display()
        ))
    }
}

#[test]
fn every_relative_link_points_to_a_file_and_heading_that_exist() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in link_targets(&text) {
            checked += 1;
            if let Some(problem) = check_link(&doc, &target) {
                let name = doc.strip_prefix(root()).unwrap().display().to_string();
                broken.push(format!("{name}: {problem}"));
            }
        }
    }
    // A parser that found no links would pass vacuously.
    assert!(checked > 40, "only {checked} links found");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_checker_catches_what_it_should() {
    assert_eq!(
        slug("The whole rollout in one run"),
        "the-whole-rollout-in-one-run"
    );
    assert_eq!(slug("CI with mock-amt"), "ci-with-mock-amt");
    assert_eq!(
        slug("Faults (`--fault`, repeatable; `mock_amt::Fault`)"),
        "faults---fault-repeatable-mock_amtfault"
    );
    let text =
        "# A\n\n```sh\n# not a heading\n[x](nowhere.md)\n```\n\n## A\n[y](#a-1) `[z](gone.md)`\n";
    let found = anchors(text);
    assert!(found.contains("a") && found.contains("a-1"));
    assert!(!found.contains("not-a-heading"));
    assert_eq!(link_targets(text), vec!["#a-1".to_owned()]);
    let readme = root().join("README.md");
    assert!(check_link(&readme, "docs/user-guide.md#tls").is_none());
    assert!(check_link(&readme, "docs/user-guide.md#no-such-heading").is_some());
    assert!(check_link(&readme, "docs/no-such-file.md").is_some());
    assert!(check_link(&readme, "#exit-codes").is_none());
    assert!(check_link(&readme, "https://example.invalid/x#y").is_none());
}
