//! The help a newcomer reads: every flag sits under a task heading, `scan -h`
//! fits one screen, and the values help lists are the ones the parser takes.

use clap::{CommandFactory, Parser};

use crate::cli::Cli;

/// One screen of a terminal: `scan -h` is the first thing a user reads.
const SCREEN_LINES: usize = 50;

fn subcommand(name: &str) -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd.find_subcommand(name)
        .unwrap_or_else(|| panic!("no subcommand {name}"))
        .clone()
}

#[test]
fn every_flag_of_every_subcommand_has_a_help_heading() {
    let mut cmd = Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    let mut seen = 0;
    for sub in cmd.get_subcommands() {
        for arg in sub.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_positional() || id == "help" || id == "version" {
                continue;
            }
            seen += 1;
            if arg.get_help_heading().is_none() {
                missing.push(format!("{} --{id}", sub.get_name()));
            }
        }
    }
    // A walk that found no flags would pass vacuously.
    assert!(seen > 60, "only {seen} flags found");
    assert!(missing.is_empty(), "flags without a heading: {missing:?}");
}

#[test]
fn the_winrm_flags_are_not_site_facts() {
    let scan = subcommand("scan");
    for arg in scan.get_arguments() {
        let long = arg.get_long().unwrap_or_default();
        if long.starts_with("winrm") {
            let heading = arg.get_help_heading().unwrap_or_default();
            assert!(
                !heading.starts_with("Site"),
                "--{long} is under {heading:?}"
            );
        }
    }
}

#[test]
fn scan_short_help_fits_one_screen_and_long_help_has_every_flag() {
    let mut scan = subcommand("scan");
    let short = scan.render_help().to_string();
    let lines = short.lines().count();
    assert!(lines <= SCREEN_LINES, "scan -h is {lines} lines:\n{short}");
    // -h is a summary: one line per flag, no long paragraphs.
    assert!(
        !short.contains("the first hosts to answer suggest"),
        "long text in -h:\n{short}"
    );
    let long = scan.render_long_help().to_string();
    for arg in scan.get_arguments() {
        if arg.is_hide_set() {
            continue;
        }
        if let Some(flag) = arg.get_long() {
            assert!(
                long.contains(&format!("--{flag}")),
                "--{flag} missing from --help"
            );
        }
    }
}

#[test]
fn rmcp_lists_and_takes_exactly_on_and_off() {
    let scan = subcommand("scan");
    let rmcp = scan
        .get_arguments()
        .find(|a| a.get_long() == Some("rmcp"))
        .expect("--rmcp");
    let values: Vec<String> = rmcp
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_string())
        .collect();
    assert_eq!(values, ["on", "off"]);
    let parse = |v: &str| Cli::try_parse_from(["amtready", "scan", "10.0.0.1", "--rmcp", v]);
    for (value, on) in [("on", true), ("off", false)] {
        match parse(value).expect(value).command {
            crate::cli::Command::Scan(args) => assert_eq!(args.sweep.rmcp, on, "{value}"),
            other => panic!("parsed as {other:?}"),
        }
    }
    for refused in ["true", "false", "yes", "1"] {
        assert!(parse(refused).is_err(), "--rmcp {refused} was accepted");
    }
}
