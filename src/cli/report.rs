//! `amtready report`: renders a saved scan in any format, judged again with
//! the given policy. Reading streams: JSON Lines line by line, a JSON array
//! element by element, so memory follows the format's needs (a compact row
//! per host at most), not the file's size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use serde_json::Value;

use super::site::SiteFactsArgs;
use super::{exit, input_error};
use crate::facts::{FactsRecord, SiteFacts};
use crate::hostfacts::Inventory;
use crate::report::{
    self, read_line_capped, Format, HostReport, LineRead, ReportOptions, SiteReport,
    MAX_RECORD_BYTES, SITE_KIND,
};
use crate::rules::{exit_code, Judge, PolicySet, Verdict};

/// Largest single pretty-printed document read whole.
const MAX_DOCUMENT: u64 = 256 * 1024 * 1024;

/// Arguments of `amtready report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// A saved scan: JSON Lines, a JSON array or one JSON object (`-` for stdin).
    #[arg(value_name = "SCAN.jsonl")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Table, help_heading = super::heading::OUTPUT)]
    pub format: Format,
    /// Judge with this built-in policy or policy file; repeatable.
    ///
    /// Default: configmgr-2007-sp1 and configmgr-2007-sp1-provisioning.
    #[arg(long, value_name = "NAME|FILE", help_heading = super::heading::RULES)]
    pub policy: Vec<String>,
    /// Render what was read without judging it.
    #[arg(long, help_heading = super::heading::RULES)]
    pub no_rules: bool,
    /// Table: list every rule not checked and each finding's source.
    #[arg(short, long, help_heading = super::heading::OUTPUT)]
    pub verbose: bool,
    /// JSON Lines: end with a `{"summary": ...}` line.
    #[arg(long, help_heading = super::heading::OUTPUT)]
    pub summary: bool,
    /// Title of the HTML, Markdown and JUnit documents.
    #[arg(long, value_name = "TEXT", help_heading = super::heading::OUTPUT)]
    pub title: Option<String>,
    #[command(flatten)]
    pub site: SiteFactsArgs,
    #[command(flatten)]
    pub host_facts: super::host_facts::HostFactsArgs,
}

/// One record of a saved scan: a host, or the run's site.
#[derive(Debug)]
pub enum Item {
    Host(Box<FactsRecord>),
    /// A `{"kind": "site", "site": {...}}` record.
    Site(Box<SiteFacts>),
}

/// One record of a saved scan, or why it could not be read.
#[derive(Debug)]
pub struct Input {
    /// 1-based line (JSON Lines) or element number (array).
    pub position: usize,
    pub record: Result<Item, String>,
}

/// A `{"summary": ...}` object that a JSON report ends with: not a host.
fn is_summary(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.contains_key("summary") && !o.contains_key("target"))
}

/// A record's `kind`: `site`, `host`, or absent (a host, as every record
/// was before site records).
fn to_item(mut value: Value) -> Result<Item, String> {
    let kind = value
        .as_object()
        .and_then(|o| o.get("kind"))
        .map(|k| k.as_str().unwrap_or("?").to_string());
    match kind.as_deref() {
        Some(SITE_KIND) => {
            let site = value
                .as_object_mut()
                .and_then(|o| o.remove("site"))
                .ok_or_else(|| "a site record without `site` facts".to_string())?;
            serde_json::from_value(site)
                .map(|s| Item::Site(Box::new(s)))
                .map_err(|e| format!("site record: {e}"))
        }
        None | Some("host") => crate::hostfacts::check_record_keys(&value).and_then(|()| {
            serde_json::from_value(value)
                .map(|r| Item::Host(Box::new(r)))
                .map_err(|e| e.to_string())
        }),
        Some(other) => Err(format!(
            "unknown record kind `{}` (host or site)",
            report::text::clean(other)
                .chars()
                .take(40)
                .collect::<String>()
        )),
    }
}

fn to_input(position: usize, value: Value) -> Option<Input> {
    if is_summary(&value) {
        return None;
    }
    // serde repeats a bad value in its message (`unknown variant
    // `<whatever the file says>``): one bounded, escaped line per record.
    Some(Input {
        position,
        record: to_item(value)
            .map_err(|e| crate::text::bounded_line(&e, crate::amt::MAX_ERROR_CHARS)),
    })
}

/// Reads a saved scan and calls `each` per record, in file order. A record
/// that does not parse is passed on as an error for that record; only a broken
/// JSON array (which cannot be resynchronised) or an I/O error stops early.
pub fn read_scan(mut reader: impl BufRead, each: &mut dyn FnMut(Input)) -> Result<(), String> {
    // Find the first significant byte without consuming the stream.
    let first = loop {
        let buf = reader.fill_buf().map_err(|e| e.to_string())?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                reader.consume(i);
                break b;
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    if first == b'[' {
        let mut de = serde_json::Deserializer::from_reader(reader);
        return crate::json_array::each_element(
            &mut de,
            "a JSON array of facts records",
            &mut |position, value| {
                if let Some(input) = to_input(position, value) {
                    each(input);
                }
            },
        )
        .map_err(|e| format!("not a JSON array: {e}"));
    }
    let mut line_no = 0usize;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let read =
            read_line_capped(&mut reader, &mut buf, MAX_RECORD_BYTES).map_err(|e| e.to_string())?;
        if read == LineRead::End {
            return Ok(());
        }
        line_no += 1;
        if read == LineRead::TooLong {
            // Skip the rest of an over-long line.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = (&mut reader)
                    .take(1 << 20)
                    .read_until(b'\n', &mut sink)
                    .map_err(|e| e.to_string())?;
                if m == 0 || sink.ends_with(b"\n") {
                    break;
                }
            }
            each(Input {
                position: line_no,
                record: Err(format!("record longer than {MAX_RECORD_BYTES} bytes")),
            });
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => {
                if let Some(input) = to_input(line_no, v) {
                    each(input);
                }
            }
            // The first line opens an object it does not close: a single
            // pretty-printed document (hand-written facts). Read it whole.
            Err(e) if line_no == 1 && e.is_eof() => {
                let mut doc = buf.clone();
                (&mut reader)
                    .take(MAX_DOCUMENT)
                    .read_to_end(&mut doc)
                    .map_err(|e| e.to_string())?;
                let stream = serde_json::Deserializer::from_slice(&doc).into_iter::<Value>();
                for (i, v) in stream.enumerate() {
                    match v {
                        Ok(v) => {
                            if let Some(input) = to_input(i + 1, v) {
                                each(input);
                            }
                        }
                        Err(e) => {
                            each(Input {
                                position: i + 1,
                                record: Err(e.to_string()),
                            });
                            break;
                        }
                    }
                }
                return Ok(());
            }
            Err(e) => each(Input {
                position: line_no,
                record: Err(e.to_string()),
            }),
        }
    }
}

/// What rendering a saved scan came to.
#[derive(Debug, Default)]
pub struct Rendered {
    pub verdicts: Vec<Verdict>,
    pub bad_records: usize,
    pub hosts: usize,
    /// The reader closed the output early (`| head`): not an error.
    pub closed: bool,
    /// The run's site was judged (and its verdict, when rules ran).
    pub site: Option<Option<Verdict>>,
    /// Records that named a site other than the run's (without `--site`).
    pub site_conflicts: usize,
}

impl Rendered {
    /// The exit code: 0 when the reader closed the output early, 3 for
    /// unreadable or conflicting records or an empty input, else from the
    /// host verdicts and the site's together.
    pub fn exit_code(&self, origin: &str) -> i32 {
        if self.closed {
            exit::READY
        } else if self.bad_records > 0 || self.site_conflicts > 0 {
            exit::INPUT
        } else if self.hosts == 0 && self.site.is_none() {
            input_error(format_args!("{origin}: no facts records"))
        } else {
            exit_code(self.verdicts.iter().copied().chain(self.site.flatten()))
        }
    }
}

/// Reads `input`, judges each record with `policy` (when given), and renders
/// it as `format` into `out`. Bad records are reported on stderr with their
/// position (`origin:N`) and skipped. The site is the one the input names.
pub fn render(
    input: impl BufRead,
    origin: &str,
    policy: Option<&PolicySet>,
    format: Format,
    options: &ReportOptions,
    out: impl Write,
) -> Result<Rendered, String> {
    render_with_site(input, origin, policy, None, format, options, out)
}

/// The run's site while a saved scan is read: given (`--site`, flags), or
/// named by the input (a site record, or `site` facts inside a host record
/// written before site records existed).
struct RunSite {
    given: bool,
    facts: Option<SiteFacts>,
    /// Where the input named it.
    named_at: Option<usize>,
    ignored_noted: bool,
}

/// As [`render`], with the run's site facts given (`--site` and the site
/// flags): they win over any site the input names. Without them, the first
/// site the input names is the run's: a site record, or, in a record written
/// before site records, the `site` facts inside a host record, lifted out and
/// judged once. A later record naming a different site is an input error.
pub fn render_with_site(
    input: impl BufRead,
    origin: &str,
    policy: Option<&PolicySet>,
    site: Option<SiteFacts>,
    format: Format,
    options: &ReportOptions,
    out: impl Write,
) -> Result<Rendered, String> {
    render_with_host_facts(input, origin, policy, site, None, format, options, out)
}

/// As [`render_with_site`], with the host facts of an inventory export
/// joined to each host record before it is judged (`--host-facts`).
#[allow(clippy::too_many_arguments)]
pub fn render_with_host_facts(
    input: impl BufRead,
    origin: &str,
    policy: Option<&PolicySet>,
    site: Option<SiteFacts>,
    inventory: Option<&Inventory>,
    format: Format,
    options: &ReportOptions,
    out: impl Write,
) -> Result<Rendered, String> {
    let mut sink = report::sink(format, out, options);
    let mut done = Rendered::default();
    let mut write_error: Option<io::Error> = None;
    let mut judge = policy.map(|p| Judge::new(std::sync::Arc::new(p.clone()), site.clone()));
    let mut run = RunSite {
        given: site.is_some(),
        facts: site,
        named_at: None,
        ignored_noted: false,
    };
    let emit_site = |facts: &SiteFacts,
                     judge: &Option<Judge>,
                     sink: &mut Box<dyn report::ReportSink + '_>,
                     done: &mut Rendered|
     -> io::Result<()> {
        let evaluation = judge.as_ref().and_then(Judge::judge_site);
        done.site = Some(evaluation.as_ref().map(|e| e.verdict));
        sink.site(&SiteReport {
            facts: facts.clone(),
            evaluation,
        })
    };
    if let Some(facts) = run.facts.clone() {
        if let Err(e) = emit_site(&facts, &judge, &mut sink, &mut done) {
            write_error = Some(e);
        }
    }
    read_scan(input, &mut |item| {
        if write_error.is_some() {
            return;
        }
        let named = match item.record {
            Err(error) => {
                done.bad_records += 1;
                super::say(format_args!(
                    "{origin}:{}: bad facts record: {}",
                    item.position,
                    report::text::clean(&error)
                ));
                return;
            }
            Ok(Item::Site(facts)) => Some((*facts, None)),
            Ok(Item::Host(mut facts)) => match facts.site.take() {
                Some(site) if !site.is_empty() => Some((site, Some(facts))),
                _ => {
                    join_host_facts(&mut facts, inventory);
                    judge_and_write(&mut facts, None, &judge, &mut sink, &mut done)
                        .unwrap_or_else(|e| write_error = Some(e));
                    return;
                }
            },
        };
        let Some((site, host)) = named else { return };
        // The site this record names: the run's, a first one, or a conflict.
        let mut own_site: Option<SiteFacts> = None;
        if run.given {
            if !run.ignored_noted && run.facts.as_ref() != Some(&site) {
                run.ignored_noted = true;
                super::say(format_args!(
                    "{origin}:{}: the input names other site facts; the ones given (--site and the site flags) are used instead",
                    item.position
                ));
            }
        } else {
            match &run.facts {
                None => {
                    run.facts = Some(site.clone());
                    run.named_at = Some(item.position);
                    if let Some(j) = judge.as_mut() {
                        j.set_site(Some(site.clone()));
                    }
                    if let Err(e) = emit_site(&site, &judge, &mut sink, &mut done) {
                        write_error = Some(e);
                        return;
                    }
                }
                Some(first) if *first == site => {}
                Some(_) => {
                    done.site_conflicts += 1;
                    super::say(format_args!(
                        "{origin}:{}: site facts differ from those at {origin}:{}; one run judges one site: give --site FILE to choose",
                        item.position,
                        run.named_at.unwrap_or(0)
                    ));
                    own_site = Some(site);
                }
            }
        }
        if let Some(mut facts) = host {
            join_host_facts(&mut facts, inventory);
            judge_and_write(&mut facts, own_site, &judge, &mut sink, &mut done)
                .unwrap_or_else(|e| write_error = Some(e));
        }
    })
    .map_err(|e| format!("{origin}: {e}"))?;
    let finished = match write_error {
        Some(e) => Err(e),
        None => sink.finish(),
    };
    match finished {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => done.closed = true,
        Err(e) => return Err(format!("cannot write the report: {e}")),
        Ok(()) => {}
    }
    Ok(done)
}

/// Joins the inventory's host facts to a host record (`--host-facts`).
fn join_host_facts(facts: &mut FactsRecord, inventory: Option<&Inventory>) {
    if let Some(inventory) = inventory {
        if facts.status != Some(crate::facts::HostStatus::Silent) {
            inventory.apply(facts, None);
        }
    }
}

/// Judges one host with the run's site, or with `own_site` (a record that
/// names another site keeps it, and is judged on it), and writes it.
fn judge_and_write(
    facts: &mut FactsRecord,
    own_site: Option<SiteFacts>,
    judge: &Option<Judge>,
    sink: &mut Box<dyn report::ReportSink + '_>,
    done: &mut Rendered,
) -> io::Result<()> {
    let evaluation = judge.as_ref().map(|j| match &own_site {
        Some(site) => j.with_site(Some(site.clone())).judge_host(facts),
        None => j.judge_host(facts),
    });
    if let Some(e) = &evaluation {
        done.verdicts.push(e.verdict);
    }
    done.hosts += 1;
    facts.site = own_site;
    sink.record(&HostReport {
        facts: std::mem::take(facts),
        evaluation,
    })
}

/// Runs `amtready report`; returns the exit code.
pub fn run(args: &ReportArgs) -> i32 {
    let policy = if args.no_rules {
        None
    } else {
        match super::rules::load_policies(&args.policy) {
            Ok(p) => Some(p),
            Err(code) => return code,
        }
    };
    let mut options = ReportOptions {
        width: report::text::output_width(),
        verbose: args.verbose,
        jsonl_summary: args.summary,
        ..ReportOptions::default()
    };
    if let Some(t) = &args.title {
        options.title = report::text::clean(t).into_owned();
    }
    let site = match args.site.resolve() {
        Ok(site) => site,
        Err(e) => return input_error(e),
    };
    let origin = args.file.display().to_string();
    let inventory = match args.host_facts.load() {
        Ok(i) => i,
        Err(e) => return input_error(e),
    };
    let reader: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        match File::open(&args.file) {
            Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
            Err(e) => return input_error(format_args!("cannot read {origin}: {e}")),
        }
    };
    let stdout = io::stdout();
    let out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let done = match render_with_host_facts(
        reader,
        &origin,
        policy.as_ref(),
        site,
        inventory.as_ref(),
        args.format,
        &options,
        out,
    ) {
        Ok(done) => done,
        Err(e) => return input_error(e),
    };
    if let Some(inventory) = &inventory {
        super::host_facts::report(inventory);
    }
    if done.bad_records > 0 && origin.to_ascii_lowercase().ends_with(".csv") {
        super::say(format_args!(
            "{origin} is read as facts records (JSON); an inventory export \
             goes to --host-facts, beside a scan's records"
        ));
    }
    done.exit_code(&origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> (Vec<(usize, bool)>, Result<(), String>) {
        let mut got = Vec::new();
        let r = read_scan(text.as_bytes(), &mut |i| {
            got.push((i.position, matches!(i.record, Ok(Item::Host(_)))))
        });
        (got, r)
    }

    #[test]
    fn reads_lines_arrays_and_pretty_objects_and_skips_summaries() {
        let (lines, r) = collect(
            "{\"target\":\"a\"}\n\nnot json\n{\"target\":\"c\"}\n{\"summary\":{\"hosts\":2}}\n",
        );
        assert!(r.is_ok());
        assert_eq!(lines, [(1, true), (3, false), (4, true)]);
        let (array, r) = collect(r#"  [{"target":"a"},{"target":7},{"summary":{}}]"#);
        assert!(r.is_ok());
        assert_eq!(array, [(1, true), (2, false)]);
        let (one, r) = collect("{\n \"target\": \"a\",\n \"amt\": {\"version\": \"4.1\"}\n}\n");
        assert!(r.is_ok());
        assert_eq!(one, [(1, true)]);
        let (_, r) = collect("[1, 2");
        assert!(r.is_err());
    }
}
