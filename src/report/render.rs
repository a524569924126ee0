//! A saved scan rendered in any format, judged again with the given policy:
//! what `amtready report` and `validate` do. Reading streams (see
//! [`super::replay::read_scan`]), so memory follows the format's needs (a
//! compact row per host at most), not the file's size.

use std::io::{self, BufRead, Write};

use super::replay::{read_scan, Item};
use super::text::say;
use super::{Event, Format, HostReport, ReportOptions, SiteReport, Tally};
use crate::facts::{FactsRecord, SiteFacts};
use crate::hostfacts::Inventory;
use crate::rules::{Judge, PolicySet, Verdict};
use crate::ExitCode;

/// What rendering a saved scan came to.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The host and site verdicts, counted as a scan counts them.
    pub tally: Tally,
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
    pub fn exit_code(&self, origin: &str) -> ExitCode {
        if self.closed {
            ExitCode::Ready
        } else if self.bad_records > 0 || self.site_conflicts > 0 {
            ExitCode::Input
        } else if self.hosts == 0 && self.site.is_none() {
            say(format_args!("{origin}: no facts records"));
            ExitCode::Input
        } else {
            self.tally.verdict_code()
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
    let mut sink = super::sink(format, out, options);
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
                     sink: &mut Box<dyn super::ReportSink + '_>,
                     done: &mut Rendered|
     -> io::Result<()> {
        let evaluation = judge.as_ref().and_then(Judge::judge_site);
        done.site = Some(evaluation.as_ref().map(|e| e.verdict));
        let site = SiteReport {
            facts: facts.clone(),
            evaluation,
        };
        deliver(&Event::SiteJudged(Box::new(site)), sink, done)
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
                say(format_args!(
                    "{origin}:{}: bad facts record: {}",
                    item.position,
                    super::text::clean(&error)
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
                say(format_args!(
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
                    say(format_args!(
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
    sink: &mut Box<dyn super::ReportSink + '_>,
    done: &mut Rendered,
) -> io::Result<()> {
    // A dark computer is not judged, as in the scan that wrote it: nothing
    // of the device was read. The tally still counts it, never as ready.
    let dark = facts.status == Some(crate::facts::HostStatus::Dark);
    let evaluation = judge.as_ref().filter(|_| !dark).map(|j| match &own_site {
        Some(site) => j.with_site(Some(site.clone())).judge_host(facts),
        None => j.judge_host(facts),
    });
    done.hosts += 1;
    facts.site = own_site;
    let report = HostReport {
        facts: std::mem::take(facts),
        evaluation,
    };
    deliver(&Event::HostJudged(Box::new(report)), sink, done)
}

/// Every judged record takes the path a scan's events take: the tally, then
/// the sink.
fn deliver(
    event: &Event,
    sink: &mut Box<dyn super::ReportSink + '_>,
    done: &mut Rendered,
) -> io::Result<()> {
    done.tally.event(event);
    sink.event(event)
}
