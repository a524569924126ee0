//! The plan: which addresses a run reads, each once, in a fixed order.
//!
//! Every spec becomes an interval of addresses on a port; intervals are merged,
//! so `10.0.0.8 10.0.0.8:16992 10.0.0.8-8` is one address, and a /16 is one
//! interval, never 65,534 strings. Excludes are subtracted interval by
//! interval. Names are resolved once, up front, with a bounded timeout, and
//! dedup with the addresses they resolve to. The resulting sequence is what
//! `--shard` splits (by position, so the shards of one target list are
//! disjoint and cover it) and what `--resume` filters, and its length is the
//! honest total the progress bar and the summary use.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::report::{read_line_capped, LineRead, MAX_RECORD_BYTES};

use super::target::{cidr_bounds, label, SpecKind, TargetError, TargetSpec};

/// Longest line read from a targets file; a target is a few dozen bytes.
/// A resume file's lines are records, read with the bound every record
/// reader shares ([`MAX_RECORD_BYTES`]).
const MAX_TARGET_LINE: usize = 1 << 20;
/// Most targets one run plans (after dedup), so a stray `/12` in a file
/// cannot start a scan that never ends.
pub(crate) const MAX_PLANNED: u128 = 1 << 24;

/// `--shard K/N`: the K-th of N disjoint parts (K from 0, as Kubernetes'
/// `JOB_COMPLETION_INDEX` counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K: which part this run takes, from 0.
    pub index: u64,
    /// N: how many parts the targets are split into.
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("--shard {s:?}: expected K/N with 0 <= K < N, e.g. 0/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// Positional targets.
    pub targets: Vec<String>,
    /// `--targets-file` (`-` for stdin): one target per line, `#` comments.
    pub targets_file: Option<PathBuf>,
    /// `--exclude`, the same forms; without a port an exclude matches every port.
    pub excludes: Vec<String>,
    /// `--shard K/N`: plan only this run's part of the targets.
    pub shard: Option<Shard>,
    /// `--resume`: a JSON Lines file whose records' `target`s are skipped.
    pub resume: Option<PathBuf>,
    /// Bound on resolving each name.
    pub resolve_timeout: Duration,
}

/// Why a plan could not be made: always a usage error (exit 3), naming the
/// target or file and line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A target or exclude that could not be understood.
    #[error("{origin}: {source}")]
    Target {
        /// Which one: `target 3`, `--exclude 2`, or the file and line.
        origin: String,
        /// What is wrong with it.
        #[source]
        source: TargetError,
    },
    /// A targets or `--resume` file that could not be read.
    #[error("cannot read {path}: {message}")]
    File {
        /// The targets or `--resume` file, as given.
        path: String,
        /// Why, on one line.
        message: String,
    },
    /// Neither a TARGET argument nor a `--targets-file` line named anything.
    #[error("no targets: give TARGET arguments or --targets-file")]
    NoTargets,
    /// A file amtready would write to that is not a plain file of its own.
    #[error("--resume: {0}")]
    NotWritable(String),
    /// The targets add up to more addresses (given) than one run plans (`MAX_PLANNED`).
    #[error("the targets add up to {0} addresses, more than the limit of {MAX_PLANNED}; split them (see --shard)")]
    TooLarge(u128),
}

/// One address to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTarget {
    /// The address and port to read.
    pub addr: SocketAddr,
    /// How reports name it: the host name when it was given by name.
    pub label: String,
    /// Whether the user wrote the port; without one, discovery also tries 16993.
    pub port_given: bool,
    /// Whether the user named this address itself (a host, `HOST:PORT`, a
    /// line of `--targets-file`), rather than it coming from a CIDR block or
    /// a range: a named address that stays silent is a device that is down,
    /// not an empty address.
    pub named: bool,
}

/// A name that did not resolve: reported as a host with status `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub label: String,
    pub error: String,
}

/// Inclusive interval of addresses (as integers) on one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Span {
    port: u16,
    v6: bool,
    port_given: bool,
    lo: u128,
    hi: u128,
}

/// The planned run.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    spans: Vec<Span>,
    /// The addresses named one by one, merged and sorted as `spans` are.
    named: Vec<Span>,
    names: HashMap<SocketAddr, String>,
    unresolved: Vec<Unresolved>,
    shard: Option<Shard>,
    done: HashSet<String>,
    total: u64,
    /// Addresses named more than once (after the first).
    pub duplicates: u128,
    /// Addresses removed by `--exclude`.
    pub excluded: u128,
    /// Addresses skipped because the resume file has them.
    pub resumed: u64,
    /// Byte length of the resume file's complete lines (a killed scan may
    /// leave half a line; appending starts here).
    pub resume_valid_len: Option<u64>,
    /// The resume file's last record is complete but lacks its newline:
    /// one is written before anything is appended.
    pub resume_needs_newline: bool,
    /// A half-written last line of the resume file (a scan killed while
    /// writing it): set aside, never deleted, and its host read again.
    pub resume_partial: Option<Vec<u8>>,
}

impl Plan {
    /// Parses, resolves names, merges, excludes, and counts.
    pub async fn build(input: &PlanInput) -> Result<Plan, PlanError> {
        let mut specs = Vec::new();
        for (n, t) in input.targets.iter().enumerate() {
            let spec = t
                .parse::<TargetSpec>()
                .map_err(|source| PlanError::Target {
                    origin: format!("target {}", n + 1),
                    source,
                })?;
            specs.push(spec);
        }
        if let Some(path) = &input.targets_file {
            specs.extend(read_targets_file(path)?);
        }
        if specs.is_empty() && input.resume.is_none() {
            return Err(PlanError::NoTargets);
        }
        let mut excludes = Vec::new();
        for (n, t) in input.excludes.iter().enumerate() {
            let spec = t
                .parse::<TargetSpec>()
                .map_err(|source| PlanError::Target {
                    origin: format!("--exclude {}", n + 1),
                    source,
                })?;
            excludes.push(spec);
        }

        let mut plan = Plan {
            shard: input.shard,
            ..Plan::default()
        };
        let mut spans = Vec::new();
        let mut named_spans = Vec::new();
        let mut named = 0u128;
        let resolved = resolve_all(&specs, input.resolve_timeout).await;
        for (spec, resolved) in specs.iter().zip(resolved) {
            let port = spec.target_port();
            named += spec.len();
            match (&spec.kind, resolved) {
                (SpecKind::Name(name), Some(Ok(ip))) => {
                    let addr = SocketAddr::new(ip, port);
                    plan.names.entry(addr).or_insert_with(|| label(name, port));
                    spans.push(span_of_ip(ip, port, spec.port.is_some()));
                    named_spans.push(span_of_ip(ip, port, spec.port.is_some()));
                }
                (SpecKind::Addr(ip), _) => {
                    spans.push(span_of_ip(*ip, port, spec.port.is_some()));
                    named_spans.push(span_of_ip(*ip, port, spec.port.is_some()));
                }
                (SpecKind::Name(name), Some(Err(error))) => {
                    let l = label(name, port);
                    if !plan.unresolved.iter().any(|u| u.label == l) {
                        plan.unresolved.push(Unresolved { label: l, error });
                    }
                }
                _ => spans.extend(spans_of(spec, port)),
            }
        }
        let excl_resolved = resolve_all(&excludes, input.resolve_timeout).await;
        let mut cuts: Vec<(Option<u16>, Span)> = Vec::new();
        for (spec, resolved) in excludes.iter().zip(excl_resolved) {
            match (&spec.kind, resolved) {
                (SpecKind::Name(_), Some(Ok(ip))) => {
                    cuts.push((spec.port, span_of_ip(ip, 0, false)))
                }
                // An exclude that cannot be resolved excludes nothing; say so
                // rather than scan what the user wanted left alone silently.
                (SpecKind::Name(name), _) => {
                    tracing::warn!("--exclude {name}: does not resolve, so it excludes nothing")
                }
                _ => cuts.extend(spans_of(spec, 0).into_iter().map(|s| (spec.port, s))),
            }
        }

        let merged = merge(spans);
        let before: u128 = merged.iter().map(|s| s.hi - s.lo + 1).sum();
        plan.duplicates = (named - plan.unresolved.len() as u128).saturating_sub(before);
        let spans = subtract(merged, &cuts);
        let after: u128 = spans.iter().map(|s| s.hi - s.lo + 1).sum();
        plan.excluded = before - after;
        if after > MAX_PLANNED {
            return Err(PlanError::TooLarge(after));
        }
        plan.names.retain(|addr, _| {
            let (v6, n) = ip_num(addr.ip());
            spans
                .iter()
                .any(|s| s.port == addr.port() && s.v6 == v6 && s.lo <= n && n <= s.hi)
        });
        plan.spans = spans;
        plan.named = merge(named_spans);

        if let Some(path) = &input.resume {
            let resumed = read_resume(path)?;
            plan.done = resumed.done;
            plan.resume_valid_len = Some(resumed.valid_len);
            plan.resume_needs_newline = resumed.needs_newline;
            plan.resume_partial = resumed.partial;
        }
        let mut total = 0u64;
        let mut resumed = 0u64;
        plan.walk(|t| {
            if plan.done.contains(&t.label) {
                resumed += 1;
            } else {
                total += 1;
            }
        });
        plan.unresolved.retain(|u| !plan.done.contains(&u.label));
        plan.total = total + plan.unresolved().len() as u64;
        plan.resumed = resumed;
        Ok(plan)
    }

    /// How many hosts this run will report (silent ones included): the honest
    /// total after dedup, excludes, shard and resume.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Names that did not resolve. They have no address to take a shard
    /// position from, so shard 0 reports them all and the shards still add up.
    pub fn unresolved(&self) -> &[Unresolved] {
        match self.shard {
            Some(s) if s.index != 0 => &[],
            _ => &self.unresolved,
        }
    }

    /// The addresses to read, in plan order, lazily.
    pub fn targets(&self) -> impl Iterator<Item = PlannedTarget> + Send + '_ {
        PlanIter {
            plan: self,
            span: 0,
            next: self.spans.first().map(|s| s.lo),
            position: 0,
        }
        .filter(|t| !self.done.contains(&t.label))
    }

    fn walk(&self, mut f: impl FnMut(&PlannedTarget)) {
        for t in (PlanIter {
            plan: self,
            span: 0,
            next: self.spans.first().map(|s| s.lo),
            position: 0,
        }) {
            f(&t);
        }
    }

    fn planned(&self, span: &Span, n: u128) -> PlannedTarget {
        let ip = if span.v6 {
            IpAddr::V6(Ipv6Addr::from(n))
        } else {
            IpAddr::V4(Ipv4Addr::from(n as u32))
        };
        let addr = SocketAddr::new(ip, span.port);
        let label = match self.names.get(&addr) {
            Some(name) => name.clone(),
            None => label(&ip.to_string(), span.port),
        };
        PlannedTarget {
            addr,
            label,
            port_given: span.port_given,
            named: self.is_named(span, n),
        }
    }

    /// Whether address `n` on `span`'s port and family was named one by one.
    fn is_named(&self, span: &Span, n: u128) -> bool {
        let key = (span.port, span.v6, n);
        // `named` is sorted by (port, family, start) and its spans do not
        // overlap, so the only candidate is the last one starting at or
        // before `n`.
        let after = self.named.partition_point(|s| (s.port, s.v6, s.lo) <= key);
        after
            .checked_sub(1)
            .and_then(|i| self.named.get(i))
            .is_some_and(|s| s.port == span.port && s.v6 == span.v6 && s.lo <= n && n <= s.hi)
    }
}

struct PlanIter<'a> {
    plan: &'a Plan,
    span: usize,
    next: Option<u128>,
    position: u64,
}

impl Iterator for PlanIter<'_> {
    type Item = PlannedTarget;
    fn next(&mut self) -> Option<PlannedTarget> {
        loop {
            let span = *self.plan.spans.get(self.span)?;
            let Some(n) = self.next else {
                self.span += 1;
                self.next = self.plan.spans.get(self.span).map(|s| s.lo);
                continue;
            };
            self.next = (n < span.hi).then(|| n + 1);
            let position = self.position;
            self.position += 1;
            if let Some(shard) = self.plan.shard {
                if position % shard.count != shard.index {
                    continue;
                }
            }
            return Some(self.plan.planned(&span, n));
        }
    }
}

fn ip_num(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (false, u128::from(u32::from(v4))),
            None => (true, u128::from(v6)),
        },
    }
}

fn span_of_ip(ip: IpAddr, port: u16, port_given: bool) -> Span {
    let (v6, n) = ip_num(ip);
    Span {
        port,
        v6,
        port_given,
        lo: n,
        hi: n,
    }
}

fn spans_of(spec: &TargetSpec, port: u16) -> Vec<Span> {
    let port_given = spec.port.is_some();
    let span = |v6, lo, hi| Span {
        port,
        v6,
        port_given,
        lo,
        hi,
    };
    match &spec.kind {
        SpecKind::Addr(ip) => vec![span_of_ip(*ip, port, port_given)],
        SpecKind::Name(_) => Vec::new(),
        SpecKind::Cidr(net) => {
            let (lo, hi) = cidr_bounds(net);
            vec![span(matches!(net, ipnet::IpNet::V6(_)), lo, hi)]
        }
        SpecKind::Ipv4Range { first, last } => vec![span(
            false,
            u128::from(u32::from(*first)),
            u128::from(u32::from(*last)),
        )],
    }
}

/// Sorts and merges overlapping or adjacent intervals on the same port and
/// family. A port written by the user wins over the default for the merged span.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by_key(|s| (s.port, s.v6, s.lo, s.hi));
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last)
                if last.port == s.port && last.v6 == s.v6 && s.lo <= last.hi.saturating_add(1) =>
            {
                last.hi = last.hi.max(s.hi);
                last.port_given |= s.port_given;
            }
            _ => out.push(s),
        }
    }
    out
}

/// Removes every excluded interval (an exclude without a port cuts every port).
fn subtract(spans: Vec<Span>, cuts: &[(Option<u16>, Span)]) -> Vec<Span> {
    let mut out = spans;
    for (port, cut) in cuts {
        let mut next = Vec::with_capacity(out.len());
        for s in out {
            let applies = s.v6 == cut.v6 && port.is_none_or(|p| p == s.port);
            if !applies || cut.hi < s.lo || cut.lo > s.hi {
                next.push(s);
                continue;
            }
            if cut.lo > s.lo {
                next.push(Span {
                    hi: cut.lo - 1,
                    ..s
                });
            }
            if cut.hi < s.hi {
                next.push(Span {
                    lo: cut.hi + 1,
                    ..s
                });
            }
        }
        out = next;
    }
    out
}

/// Resolves every name spec once, concurrently, each bounded by `timeout`.
/// `None` for specs that are not names.
async fn resolve_all(
    specs: &[TargetSpec],
    timeout: Duration,
) -> Vec<Option<Result<IpAddr, String>>> {
    let lookups = specs.iter().map(|spec| async move {
        let SpecKind::Name(name) = &spec.kind else {
            return None;
        };
        let lookup = tokio::net::lookup_host((name.as_str(), spec.target_port()));
        Some(match tokio::time::timeout(timeout, lookup).await {
            Err(_) => Err(format!(
                "cannot resolve {name}: no answer within {:.0?}",
                timeout
            )),
            Ok(Err(e)) => Err(format!("cannot resolve {name}: {e}")),
            // Prefer IPv4: AMT's IPv6 is off unless configured.
            Ok(Ok(addrs)) => {
                let addrs: Vec<SocketAddr> = addrs.collect();
                addrs
                    .iter()
                    .find(|a| a.is_ipv4())
                    .or(addrs.first())
                    .map(|a| a.ip())
                    .ok_or_else(|| format!("cannot resolve {name}: no address"))
            }
        })
    });
    futures_util::future::join_all(lookups).await
}

/// Reads lines of at most `cap` bytes from `reader`, calling `line` with each
/// (and its 1-based number). Returns the byte length of the complete lines.
fn bounded_lines(
    reader: impl Read,
    cap: usize,
    mut line: impl FnMut(usize, &[u8]) -> Result<(), PlanError>,
    origin: &str,
) -> Result<u64, PlanError> {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    let mut valid = 0u64;
    for n in 1.. {
        let read = read_line_capped(&mut reader, &mut buf, cap).map_err(|e| PlanError::File {
            path: origin.to_owned(),
            message: e.to_string(),
        })?;
        match read {
            LineRead::End => break,
            LineRead::TooLong => {
                return Err(PlanError::File {
                    path: origin.to_owned(),
                    message: format!("line {n} is longer than {cap} bytes"),
                })
            }
            // A last line without its newline: a killed writer's half record.
            LineRead::Unterminated => {
                line(n, &buf)?;
                break;
            }
            LineRead::Complete => {
                valid += buf.len() as u64;
                line(n, &buf[..buf.len() - 1])?;
            }
        }
    }
    Ok(valid)
}

fn read_targets_file(path: &Path) -> Result<Vec<TargetSpec>, PlanError> {
    let origin = if path == Path::new("-") {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    };
    let reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            bounded_read::TimedReader::open(path, bounded_read::READ_TIME).map_err(|e| {
                PlanError::File {
                    path: origin.clone(),
                    message: e.reason(),
                }
            })?,
        )
    };
    let mut specs = Vec::new();
    bounded_lines(
        reader,
        MAX_TARGET_LINE,
        |n, raw| {
            let text = String::from_utf8_lossy(raw);
            let text = text.split('#').next().unwrap_or("").trim();
            if text.is_empty() {
                return Ok(());
            }
            // Several targets on a line, as they would be on a command line.
            for t in text.split_whitespace() {
                let spec = t.parse().map_err(|source| PlanError::Target {
                    origin: format!("{origin}:{n}"),
                    source,
                })?;
                specs.push(spec);
            }
            Ok(())
        },
        &origin,
    )?;
    Ok(specs)
}

/// What a resume file holds.
#[derive(Debug, Default)]
struct Resumed {
    /// The targets of its host records.
    done: HashSet<String>,
    /// Bytes of complete records (the half-written last line excluded).
    valid_len: u64,
    /// The last record is complete but has no newline.
    needs_newline: bool,
    /// The half-written last line, to be set aside.
    partial: Option<Vec<u8>>,
}

/// Whether a JSON value is one of the records amtready writes: a host (with
/// a `target`), the run's site, or a summary.
fn is_record(value: &serde_json::Value) -> Option<Option<&str>> {
    let object = value.as_object()?;
    if let Some(serde_json::Value::String(target)) = object.get("target") {
        return Some(Some(target));
    }
    let site = object.get("kind").and_then(|k| k.as_str()) == Some("site");
    (site || object.contains_key("summary")).then_some(None)
}

/// Reads a resume file: the `target` of every host record, and where
/// appending starts. A missing file is an empty one, so the first run and a
/// resumed one are the same command. The file must be a regular file (not a
/// link into another file, not a FIFO) whose lines are amtready records:
/// anything else is refused before a byte is written. Only the last line
/// may be half-written (a killed scan): a complete record there without its
/// newline is kept; one that does not parse is set aside.
fn read_resume(path: &Path) -> Result<Resumed, PlanError> {
    let origin = path.display().to_string();
    let refuse = |message: String| PlanError::File {
        path: origin.clone(),
        message,
    };
    if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(Resumed::default());
    }
    bounded_read::check_writable(path, false).map_err(PlanError::NotWritable)?;
    let reader = bounded_read::TimedReader::open(path, bounded_read::READ_TIME)
        .map_err(|e| refuse(e.reason()))?;
    let mut reader = BufReader::new(reader);
    let mut resumed = Resumed::default();
    let mut buf = Vec::new();
    for n in 1.. {
        let complete = match read_line_capped(&mut reader, &mut buf, MAX_RECORD_BYTES)
            .map_err(|e| refuse(e.to_string()))?
        {
            LineRead::End => break,
            LineRead::Complete => true,
            LineRead::Unterminated => false,
            LineRead::TooLong => {
                return Err(refuse(format!(
                    "line {n} is longer than {MAX_RECORD_BYTES} bytes"
                )))
            }
        };
        let read = buf.len();
        let text = if complete {
            &buf[..buf.len() - 1]
        } else {
            &buf[..]
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            resumed.valid_len += read as u64;
            continue;
        }
        let value = serde_json::from_slice::<serde_json::Value>(text).ok();
        match value.as_ref().and_then(is_record) {
            Some(target) => {
                if let Some(target) = target {
                    resumed.done.insert(target.to_owned());
                }
                resumed.valid_len += read as u64;
                resumed.needs_newline = !complete;
            }
            // The last line, cut short by a kill: set aside, read again.
            None if !complete => resumed.partial = Some(buf.clone()),
            None => {
                let shown: String = String::from_utf8_lossy(text).chars().take(60).collect();
                return Err(refuse(format!(
                    "line {n} is not an amtready record (`{}`); --resume appends only to a scan's own JSON Lines",
                    crate::text::clean(&shown)
                )));
            }
        }
        if !complete {
            break;
        }
    }
    Ok(resumed)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn plan(targets: &[&str], excludes: &[&str], shard: Option<&str>) -> Plan {
        Plan::build(&PlanInput {
            targets: targets.iter().map(|s| s.to_string()).collect(),
            excludes: excludes.iter().map(|s| s.to_string()).collect(),
            shard: shard.map(|s| s.parse().unwrap()),
            resolve_timeout: Duration::from_secs(5),
            ..PlanInput::default()
        })
        .await
        .unwrap()
    }

    fn labels(p: &Plan) -> Vec<String> {
        p.targets().map(|t| t.label).collect()
    }

    #[tokio::test]
    async fn one_address_named_three_ways_is_read_once() {
        let p = plan(&["10.0.0.8", "10.0.0.8:16992", "10.0.0.8-8"], &[], None).await;
        assert_eq!(labels(&p), ["10.0.0.8"]);
        assert_eq!((p.total(), p.duplicates), (1, 2));
        let p = plan(&["10.0.0.0/30", "10.0.0.2", "10.0.0.1-10.0.0.3"], &[], None).await;
        assert_eq!(labels(&p), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        // Another port is another service.
        let p = plan(&["10.0.0.8", "10.0.0.8:16993"], &[], None).await;
        assert_eq!(labels(&p), ["10.0.0.8", "10.0.0.8:16993"]);
        assert!(p.targets().nth(1).unwrap().port_given);
    }

    #[tokio::test]
    async fn named_addresses_are_told_from_those_a_block_or_range_expands_to() {
        let p = plan(
            &[
                "10.0.0.0/29",
                "10.0.0.3",
                "10.0.0.9:1234",
                "10.0.1.1-3",
                "127.0.0.1",
            ],
            &[],
            None,
        )
        .await;
        let mut named: Vec<String> = p.targets().filter(|t| t.named).map(|t| t.label).collect();
        named.sort();
        assert_eq!(named, ["10.0.0.3", "10.0.0.9:1234", "127.0.0.1"]);
        // A block's own addresses, and a range's, are not named.
        assert!(!p.targets().any(|t| t.label == "10.0.0.2" && t.named));
        assert!(!p.targets().any(|t| t.label == "10.0.1.2" && t.named));
    }

    #[tokio::test]
    async fn excludes_cut_every_port_unless_they_name_one() {
        let p = plan(
            &["10.0.0.0/29", "10.0.0.3:1234"],
            &["10.0.0.2-4", "10.0.0.6:16992"],
            None,
        )
        .await;
        assert_eq!(labels(&p), ["10.0.0.1", "10.0.0.5"]);
        assert_eq!(p.excluded, 5);
        assert_eq!(p.total(), 2);
    }

    #[tokio::test]
    async fn shards_are_disjoint_and_cover_the_whole() {
        let whole = labels(&plan(&["10.9.0.0/22", "10.9.8.1-77"], &["10.9.1.0/24"], None).await);
        for n in [1u64, 2, 3, 7] {
            let mut seen = Vec::new();
            let mut total = 0;
            for k in 0..n {
                let p = plan(
                    &["10.9.0.0/22", "10.9.8.1-77"],
                    &["10.9.1.0/24"],
                    Some(&format!("{k}/{n}")),
                )
                .await;
                total += p.total();
                seen.extend(labels(&p));
            }
            assert_eq!(total as usize, whole.len());
            seen.sort();
            let mut sorted = whole.clone();
            sorted.sort();
            assert_eq!(seen, sorted, "{n} shards");
        }
        assert!("3/3".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x/2".parse::<Shard>().is_err());
    }

    #[tokio::test]
    async fn resume_skips_finished_records_and_a_half_line_is_not_finished() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("scan.jsonl");
        std::fs::write(
            &out,
            "{\"target\":\"10.0.0.1\",\"status\":\"ok\"}\n{\"target\":\"10.0.0.3:1\"}\n{\"target\":\"10.0.0.2\",\"sta",
        )
        .unwrap();
        let p = Plan::build(&PlanInput {
            targets: vec!["10.0.0.1-3".into()],
            resume: Some(out.clone()),
            resolve_timeout: Duration::from_secs(1),
            ..PlanInput::default()
        })
        .await
        .unwrap();
        assert_eq!(labels(&p), ["10.0.0.2", "10.0.0.3"]);
        assert_eq!((p.total(), p.resumed), (2, 1));
        assert_eq!(
            p.resume_valid_len,
            Some(
                "{\"target\":\"10.0.0.1\",\"status\":\"ok\"}\n{\"target\":\"10.0.0.3:1\"}\n".len()
                    as u64
            )
        );
    }

    #[tokio::test]
    async fn targets_file_with_comments_and_line_numbers_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.txt");
        std::fs::write(&f, "# lab\n10.0.0.1  # first\n\n10.0.0.2 10.0.0.3\n").unwrap();
        let p = Plan::build(&PlanInput {
            targets_file: Some(f.clone()),
            resolve_timeout: Duration::from_secs(1),
            ..PlanInput::default()
        })
        .await
        .unwrap();
        assert_eq!(p.total(), 3);
        std::fs::write(&f, "10.0.0.1\n10.0.2\n").unwrap();
        let err = Plan::build(&PlanInput {
            targets_file: Some(f.clone()),
            resolve_timeout: Duration::from_secs(1),
            ..PlanInput::default()
        })
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains("t.txt:2") && err.contains("10.0.2"), "{err}");
        // A file that cannot be opened is named once, not twice.
        let missing = dir.path().join("missing.txt");
        let err = Plan::build(&PlanInput {
            targets_file: Some(missing),
            resolve_timeout: Duration::from_secs(1),
            ..PlanInput::default()
        })
        .await
        .unwrap_err()
        .to_string();
        assert_eq!(err.matches("missing.txt").count(), 1, "{err}");
    }

    #[tokio::test]
    async fn names_resolve_once_and_dedup_with_their_address() {
        let p = plan(&["localhost", "127.0.0.1"], &[], None).await;
        let ts: Vec<_> = p.targets().collect();
        assert_eq!(ts.len(), 1, "{ts:?}");
        assert_eq!(ts[0].label, "localhost");
        let p = plan(&["no-such-host.invalid"], &[], None).await;
        assert_eq!(p.total(), 1);
        assert_eq!(p.unresolved().len(), 1);
        assert_eq!(p.targets().count(), 0);
    }
}
