//! `--host-facts FILE`: an inventory export (CSV, JSON array or JSON Lines)
//! read once, merged per machine, and joined to AMT devices by IP address or
//! by AMT's own hostname and domain.
//!
//! Columns are found by header name in any order, case-insensitively, with a
//! table prefix (`os.Caption0`) and Configuration Manager's trailing `0`
//! ignored; unknown columns are ignored, since real exports carry many.
//! Several rows may describe one machine (one per IP address, one per
//! service): they are merged by computer name, or by address without one.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde_json::Value;

use super::windows::{self, Services};
use crate::facts::{FactSource, FactsRecord, HostFacts};
use crate::report::text::clean;

/// Largest inventory file read.
const MAX_FILE: u64 = 256 * 1024 * 1024;
/// Row problems kept for the report; the rest are counted.
const MAX_PROBLEMS: usize = 200;

/// What one column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Address,
    /// `Name`: the computer, or the service in a file of service rows.
    Name,
    Computer,
    Domain,
    Caption,
    Csd,
    Arch,
    Sku,
    Version,
    Edition,
    ServerCore,
    Rras,
    Ics,
    Inband,
    State,
    StartMode,
    ServiceName,
}

fn column(header: &str) -> Option<Col> {
    let h = header.trim().trim_start_matches('\u{feff}');
    let h = h.rsplit('.').next().unwrap_or(h).to_ascii_lowercase();
    let h = h.trim_matches(|c| c == '"' || c == '[' || c == ']');
    // Configuration Manager's view columns end in 0 (`Caption0`).
    let h = match h.strip_suffix('0') {
        Some(stem) if stem.ends_with(|c: char| c.is_ascii_alphabetic()) => stem,
        _ => h,
    };
    Some(match h {
        "address" | "ip" | "ip_address" | "ipaddress" | "ip_addresses" | "ipaddresses" => {
            Col::Address
        }
        "name" => Col::Name,
        "computer" | "computer_name" | "computername" | "netbios_name" | "csname"
        | "systemname" | "pscomputername" | "__server" | "dnshostname" | "hostname" => {
            Col::Computer
        }
        "domain" | "resource_domain_or_workgr" | "full_domain_name" | "dns_domain" => Col::Domain,
        "os_caption" | "caption" | "os" => Col::Caption,
        "os_csd_version" | "csdversion" | "service_pack" => Col::Csd,
        "os_architecture" | "osarchitecture" | "architecture" | "systemtype" => Col::Arch,
        "operatingsystemsku" | "os_sku" => Col::Sku,
        "version" | "os_version" => Col::Version,
        "edition" => Col::Edition,
        "server_core" => Col::ServerCore,
        "rras_running" => Col::Rras,
        "ics_enabled" => Col::Ics,
        "inband_provisioning" => Col::Inband,
        "state" => Col::State,
        "startmode" | "start_mode" => Col::StartMode,
        "servicename" | "service_name" | "service" => Col::ServiceName,
        _ => return None,
    })
}

/// One row's values, by meaning.
#[derive(Debug, Default)]
struct Row {
    line: usize,
    addresses: Vec<IpAddr>,
    name: Option<String>,
    domain: Option<String>,
    caption: Option<String>,
    csd: Option<String>,
    arch: Option<String>,
    sku: Option<u32>,
    version: Option<String>,
    edition: Option<String>,
    server_core: Option<bool>,
    rras: Option<bool>,
    ics: Option<bool>,
    inband: Option<bool>,
    service: Option<(String, Option<String>, Option<String>)>,
}

/// One machine of the inventory, with its merged facts.
#[derive(Debug, Clone)]
pub struct Machine {
    /// The first line (or JSON element) that named it.
    pub line: usize,
    pub name: Option<String>,
    pub domain: Option<String>,
    pub addresses: Vec<IpAddr>,
    pub facts: HostFacts,
    caption_line: usize,
    /// The line that gave each fact, for a later row that disagrees.
    fact_lines: Vec<(&'static str, usize)>,
    version: Option<String>,
    sku: Option<u32>,
    services: Services,
}

/// The inventory, ready to join.
#[derive(Debug)]
pub struct Inventory {
    /// The file as given, for messages.
    pub path: String,
    pub machines: Vec<Machine>,
    /// Rows that could not be used, one line each (`line 7: ...`).
    pub problems: Vec<String>,
    /// Problems beyond those kept.
    pub more_problems: usize,
    by_ip: HashMap<IpAddr, usize>,
    /// Addresses two computers claim (the first two lines): joining by
    /// them would let row order pick the computer, so they join nothing.
    ambiguous: HashMap<IpAddr, (usize, usize)>,
    by_name: HashMap<String, Vec<usize>>,
    matched: Vec<AtomicBool>,
    unmatched_devices: Mutex<Vec<String>>,
    /// Facts on which a device's record and its row disagreed (`target: ...`).
    conflicts: Mutex<Vec<String>>,
}

/// Rows that could not be used: the first [`MAX_PROBLEMS`] kept, the rest
/// counted (a file of a million bad rows must not hold a million messages).
#[derive(Default)]
struct Problems {
    kept: Vec<String>,
    dropped: usize,
}

impl Problems {
    fn push(&mut self, text: String) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(text);
        } else {
            self.dropped += 1;
        }
    }
}

fn text(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty() && !t.eq_ignore_ascii_case("null")).then(|| t.to_string())
}

fn boolean(v: &str) -> Result<Option<bool>, String> {
    let t = v.trim().to_ascii_lowercase();
    Ok(match t.as_str() {
        "" | "null" => None,
        "true" | "yes" | "y" | "1" | "on" => Some(true),
        "false" | "no" | "n" | "0" | "off" => Some(false),
        _ => return Err(format!("`{}` is not true or false", clean(&cut(v)))),
    })
}

fn cut(v: &str) -> String {
    v.chars().take(60).collect()
}

/// `10.0.0.5`, `10.0.0.5, fe80::1`, WMI's `{10.0.0.5, fe80::1}`: every
/// address; an entry that is not one is an error.
fn addresses(v: &str) -> Result<Vec<IpAddr>, String> {
    let mut out = Vec::new();
    for part in v
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split([',', ';', ' '])
        .map(|p| p.trim().trim_matches('"'))
        .filter(|p| !p.is_empty())
    {
        let ip: IpAddr = part
            .parse()
            .map_err(|_| format!("`{}` is not an IP address", clean(&cut(part))))?;
        out.push(ip);
    }
    Ok(out)
}

impl Row {
    /// Sets one cell. `service_rows` says whether `Name` is a service name.
    fn set(&mut self, col: Col, value: &str, service_rows: bool) -> Result<(), String> {
        match col {
            Col::Address => self.addresses.extend(addresses(value)?),
            Col::Name if service_rows => {
                if let Some(name) = text(value) {
                    let s = self.service.get_or_insert((String::new(), None, None));
                    s.0 = name;
                }
            }
            Col::ServiceName => {
                if let Some(name) = text(value) {
                    let s = self.service.get_or_insert((String::new(), None, None));
                    s.0 = name;
                }
            }
            Col::Name | Col::Computer => {
                if self.name.is_none() {
                    self.name = text(value);
                }
            }
            Col::Domain => self.domain = text(value),
            // In a file of service rows, a WMI `Caption` is the service's
            // display name; an OS caption always starts with `Microsoft`.
            Col::Caption => {
                if let Some(c) = text(value) {
                    if !service_rows || c.to_ascii_lowercase().starts_with("microsoft") {
                        self.caption = Some(c);
                    }
                }
            }
            Col::Csd => self.csd = text(value),
            Col::Arch => self.arch = text(value).and_then(|a| windows::architecture(&a)),
            Col::Sku => {
                self.sku = match text(value) {
                    None => None,
                    Some(t) => Some(t.parse().map_err(|_| {
                        format!("OperatingSystemSKU `{}` is not a number", clean(&cut(&t)))
                    })?),
                }
            }
            Col::Version => self.version = text(value),
            Col::Edition => self.edition = text(value),
            Col::ServerCore => self.server_core = boolean(value)?,
            Col::Rras => self.rras = boolean(value)?,
            Col::Ics => self.ics = boolean(value)?,
            Col::Inband => self.inband = boolean(value)?,
            Col::State => {
                let s = self.service.get_or_insert((String::new(), None, None));
                s.1 = text(value);
            }
            Col::StartMode => {
                let s = self.service.get_or_insert((String::new(), None, None));
                s.2 = text(value);
            }
        }
        Ok(())
    }
}

/// A value of a JSON inventory record as the text a CSV cell would hold.
fn json_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(json_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

impl Inventory {
    /// Reads an export. Only an unreadable file is an error; a bad row is a
    /// problem on its line, and the rest are read.
    pub fn load(path: &Path) -> Result<Inventory, String> {
        let shown = path.display().to_string();
        let file = bounded_read::TimedReader::open(path, bounded_read::READ_TIME)
            .map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(format!("{shown} is larger than {MAX_FILE} bytes"));
        }
        let mut inventory = Inventory::parse(&bytes)?;
        inventory.path = shown;
        Ok(inventory)
    }

    /// Parses an export held in memory (CSV, a JSON array or JSON Lines).
    pub fn parse(bytes: &[u8]) -> Result<Inventory, String> {
        let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let mut grouping = Grouping::default();
        match first {
            Some(b'[') | Some(b'{') => json_rows(body, &mut grouping)?,
            _ => csv_rows(body, &mut grouping)?,
        };
        Ok(grouping.finish())
    }
}

/// Rows gathered into machines as they are read, so no row outlives its
/// line: an estate's export is held once, as machines, not twice.
#[derive(Default)]
struct Grouping {
    machines: Vec<Machine>,
    key_of: HashMap<String, usize>,
    problems: Problems,
}

impl Grouping {
    fn problem(&mut self, text: String) {
        self.problems.push(text);
    }

    fn add(&mut self, row: Row) {
        let machines = &mut self.machines;
        let key = match (&row.name, row.addresses.first()) {
            (Some(name), _) => format!("name:{}", short(name)),
            (None, Some(ip)) => format!("ip:{ip}"),
            (None, None) => {
                self.problems.push(format!(
                    "line {}: no address or computer name to join on",
                    row.line
                ));
                return;
            }
        };
        let index = *self.key_of.entry(key).or_insert_with(|| {
            machines.push(Machine {
                line: row.line,
                name: None,
                domain: None,
                addresses: Vec::new(),
                facts: HostFacts::default(),
                caption_line: row.line,
                fact_lines: Vec::new(),
                version: None,
                sku: None,
                services: Services::default(),
            });
            machines.len() - 1
        });
        if let Err(e) = machines[index].add(row) {
            self.problems.push(e);
        }
    }

    fn finish(self) -> Inventory {
        let Grouping {
            mut machines,
            key_of,
            mut problems,
        } = self;
        // Only the indexes below are kept; the grouping key goes first.
        drop(key_of);
        for m in &mut machines {
            m.finish();
        }
        let mut by_ip = HashMap::new();
        let mut ambiguous = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in machines.iter().enumerate() {
            for ip in &m.addresses {
                if let Some(other) = by_ip.insert(*ip, i) {
                    if other != i {
                        problems.push(format!(
                            "line {}: address {ip} is also on line {} (another computer); \
                             neither is joined by that address",
                            m.line, machines[other].line
                        ));
                        ambiguous.entry(*ip).or_insert((other, i));
                    }
                }
            }
            if let Some(name) = &m.name {
                by_name.entry(short(name)).or_default().push(i);
            }
        }
        let Problems {
            kept: problems,
            dropped: more_problems,
        } = problems;
        let matched = machines.iter().map(|_| AtomicBool::new(false)).collect();
        for ip in ambiguous.keys() {
            by_ip.remove(ip);
        }
        Inventory {
            path: String::new(),
            machines,
            problems,
            more_problems,
            by_ip,
            ambiguous,
            by_name,
            matched,
            unmatched_devices: Mutex::new(Vec::new()),
            conflicts: Mutex::new(Vec::new()),
        }
    }
}

impl Inventory {
    /// The machine for a device: by its address, else by AMT's own hostname
    /// and domain (GeneralSettings).
    pub fn find(&self, record: &FactsRecord, ip: Option<IpAddr>) -> Option<&Machine> {
        let ip = ip.or_else(|| target_ip(&record.target));
        if let Some(i) = ip.and_then(|ip| self.by_ip.get(&ip)) {
            self.matched[*i].store(true, Ordering::Relaxed);
            return Some(&self.machines[*i]);
        }
        let amt = record.amt.as_ref()?;
        let host = amt.hostname.as_deref().filter(|h| !h.is_empty())?;
        let candidates = self.by_name.get(&short(host))?;
        let domain = amt.domain.as_deref().filter(|d| !d.is_empty());
        let fits = |m: &Machine| match (domain, m.domain.as_deref()) {
            (Some(d), Some(md)) => same_domain(d, md),
            _ => true,
        };
        let mut fitting = candidates.iter().filter(|&&i| fits(&self.machines[i]));
        let first = *fitting.next()?;
        if fitting.next().is_some() {
            // Two computers of that name and no domain to tell them apart.
            return None;
        }
        self.matched[first].store(true, Ordering::Relaxed);
        Some(&self.machines[first])
    }

    /// The two computers that claim `ip`, in words, when two do.
    fn claimants(&self, ip: IpAddr) -> Option<String> {
        let (a, b) = *self.ambiguous.get(&ip)?;
        let who = |i: usize| {
            let m = &self.machines[i];
            match &m.name {
                Some(name) => format!("line {} {}", m.line, clean(&cut(name))),
                None => format!("line {}", m.line),
            }
        };
        Some(format!(
            "address {ip} is claimed by two computers in {} ({}, {})",
            clean(&self.path),
            who(a),
            who(b)
        ))
    }

    /// Joins the record's device to its machine and merges the machine's
    /// facts into `record.host` (source `inventory`); true when joined. A
    /// device without a machine is remembered for [`Inventory::report`],
    /// and its record says why it has no inventory facts (`host.unread`),
    /// so the host rules that needed them are missing, not passed.
    pub fn apply(&self, record: &mut FactsRecord, ip: Option<IpAddr>) -> bool {
        let ip = ip.or_else(|| target_ip(&record.target));
        let disputed_address = ip.and_then(|ip| self.claimants(ip));
        match self.find(record, ip) {
            Some(m) => {
                let host = record.host.get_or_insert_with(HostFacts::default);
                if let Some(claim) = &disputed_address {
                    let note = format!("address: {claim}; joined by AMT's hostname instead");
                    if !host.conflicts.contains(&note) {
                        host.conflicts.push(note);
                    }
                }
                let before = host.conflicts.len();
                super::merge(host, &m.facts, FactSource::Inventory);
                if host.conflicts.len() > before {
                    if let Ok(mut list) = self.conflicts.lock() {
                        let target = clean(&record.target).into_owned();
                        list.extend(
                            host.conflicts[before..]
                                .iter()
                                .map(|c| format!("{target}: {c}")),
                        );
                    }
                }
                true
            }
            None => {
                if let Ok(mut list) = self.unmatched_devices.lock() {
                    list.push(clean(&record.target).into_owned());
                }
                let nothing_to_join = matches!(
                    record.status,
                    Some(crate::facts::HostStatus::Silent | crate::facts::HostStatus::NotAmt)
                );
                if !nothing_to_join {
                    let why = match disputed_address {
                        Some(claim) => {
                            format!("inventory: {claim}, and AMT's hostname matched neither")
                        }
                        None => {
                            let mut by: Vec<String> =
                                ip.map(|ip| format!("address {ip}")).into_iter().collect();
                            if let Some(h) = record
                                .amt
                                .as_ref()
                                .and_then(|a| a.hostname.as_deref())
                                .filter(|h| !h.is_empty())
                            {
                                by.push(format!("AMT hostname {}", clean(&cut(h))));
                            }
                            let by = if by.is_empty() {
                                "nothing to join on".to_string()
                            } else {
                                format!("by {}", by.join(" or "))
                            };
                            format!(
                                "inventory: no row of {} matches this device ({by})",
                                clean(&self.path)
                            )
                        }
                    };
                    let host = record.host.get_or_insert_with(HostFacts::default);
                    if !host.unread.iter().any(|u| u.starts_with("inventory: ")) {
                        host.unread.push(why);
                    }
                }
                false
            }
        }
    }

    /// Machines no device was joined to (line, address or name).
    pub fn unmatched_rows(&self) -> Vec<String> {
        self.machines
            .iter()
            .zip(&self.matched)
            .filter(|(_, hit)| !hit.load(Ordering::Relaxed))
            .map(|(m, _)| {
                let who = m
                    .addresses
                    .first()
                    .map(|ip| ip.to_string())
                    .into_iter()
                    .chain(m.name.as_deref().map(|n| clean(&cut(n)).into_owned()))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("line {} ({who})", m.line)
            })
            .collect()
    }

    /// Devices that no machine was joined to, in the order they came.
    pub fn unmatched_devices(&self) -> Vec<String> {
        self.unmatched_devices
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// The end-of-run report, one line each: bad rows, rows that matched no
    /// device, devices that matched no row. Lists are cut at `max` entries.
    pub fn report(&self, max: usize) -> Vec<String> {
        let mut out = Vec::new();
        let path = clean(&self.path).into_owned();
        for p in &self.problems {
            out.push(format!("{path}: {p}"));
        }
        if self.more_problems > 0 {
            out.push(format!("{path}: {} more bad row(s)", self.more_problems));
        }
        let list = |items: Vec<String>| {
            let n = items.len();
            let mut shown: Vec<String> = items.into_iter().take(max).collect();
            if n > max {
                shown.push(format!("and {} more", n - max));
            }
            shown.join("; ")
        };
        let rows = self.unmatched_rows();
        if !rows.is_empty() {
            out.push(format!(
                "{path}: {} row(s) matched no AMT device: {}",
                rows.len(),
                list(rows)
            ));
        }
        let conflicts = self.conflicts.lock().map(|l| l.clone()).unwrap_or_default();
        if !conflicts.is_empty() {
            out.push(format!(
                "{path}: {} fact(s) where the record and the inventory disagree, left unknown: {}",
                conflicts.len(),
                list(conflicts)
            ));
        }
        let devices = self.unmatched_devices();
        if !devices.is_empty() {
            out.push(format!(
                "{path}: {} device(s) had no inventory row: {}",
                devices.len(),
                list(devices)
            ));
        }
        out
    }
}

impl Machine {
    fn add(&mut self, row: Row) -> Result<(), String> {
        let line = row.line;
        if self.name.is_none() {
            self.name = row.name;
        }
        if self.domain.is_none() {
            self.domain = row.domain;
        }
        for ip in row.addresses {
            if !self.addresses.contains(&ip) {
                self.addresses.push(ip);
            }
        }
        // Two rows of one computer that disagree on a fact settle nothing:
        // whichever came last would otherwise decide the verdict. The
        // dispute is kept on the machine (and so on its host record) and
        // the fact left unknown, as between sources (`super::merge`).
        let (facts, lines) = (&mut self.facts, &mut self.fact_lines);
        settle(facts, lines, "os", |f| &mut f.os, row.caption, line);
        settle(
            facts,
            lines,
            "service_pack",
            |f| &mut f.service_pack,
            row.csd,
            line,
        );
        settle(
            facts,
            lines,
            "architecture",
            |f| &mut f.architecture,
            row.arch,
            line,
        );
        settle(
            facts,
            lines,
            "edition",
            |f| &mut f.edition,
            row.edition,
            line,
        );
        settle(
            facts,
            lines,
            "server_core",
            |f| &mut f.server_core,
            row.server_core,
            line,
        );
        settle(
            facts,
            lines,
            "rras_running",
            |f| &mut f.rras_running,
            row.rras,
            line,
        );
        settle(
            facts,
            lines,
            "ics_enabled",
            |f| &mut f.ics_enabled,
            row.ics,
            line,
        );
        settle(
            facts,
            lines,
            "inband_provisioning",
            |f| &mut f.inband_provisioning,
            row.inband,
            line,
        );
        let mut problem = None;
        if let Some(v) = row.version {
            match &self.version {
                Some(old) if !old.eq_ignore_ascii_case(&v) => {
                    problem = Some(format!(
                        "line {line}: Version `{}` differs from line {} (`{}`) for the same computer; the first is used",
                        clean(&cut(&v)),
                        self.caption_line,
                        clean(&cut(old))
                    ));
                }
                Some(_) => {}
                None => self.version = Some(v),
            }
        }
        self.sku = self.sku.or(row.sku);
        if let Some((name, state, mode)) = row.service {
            if !name.is_empty() {
                self.services.add(&name, state, mode);
            }
        }
        problem.map_or(Ok(()), Err)
    }

    /// Settles what needs the whole machine: services read with the OS, and
    /// Server Core from the SKU. A disputed fact stays unsettled.
    fn finish(&mut self) {
        if self.facts.server_core.is_none() && !disputed(&self.facts, "server_core") {
            self.facts.server_core = self.sku.map(windows::sku_is_server_core);
        }
        // An explicit column wins over the service rows.
        if self.facts.rras_running.is_none() && !disputed(&self.facts, "rras_running") {
            self.facts.rras_running = self.services.rras_running();
        }
        if self.facts.ics_enabled.is_none() && !disputed(&self.facts, "ics_enabled") {
            self.facts.ics_enabled = self
                .services
                .ics_enabled(self.facts.os.as_deref(), self.version.as_deref());
        }
    }
}

/// A value two rows can hold for one fact: compared as an admin would.
trait RowValue: Clone {
    fn same(&self, other: &Self) -> bool;
    fn shown(&self) -> String;
}

impl RowValue for String {
    fn same(&self, other: &Self) -> bool {
        self.eq_ignore_ascii_case(other)
    }
    fn shown(&self) -> String {
        self.clone()
    }
}

impl RowValue for bool {
    fn same(&self, other: &Self) -> bool {
        self == other
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

/// Takes one row's value for a fact: the first value sets it, the same
/// value again changes nothing, a different one disputes it for good.
fn settle<T: RowValue>(
    facts: &mut HostFacts,
    lines: &mut Vec<(&'static str, usize)>,
    key: &'static str,
    slot: impl Fn(&mut HostFacts) -> &mut Option<T>,
    value: Option<T>,
    line: usize,
) {
    let Some(value) = value else { return };
    if disputed(facts, key) {
        return;
    }
    match slot(facts).clone() {
        None => {
            *slot(facts) = Some(value);
            lines.push((key, line));
        }
        Some(old) if old.same(&value) => {}
        Some(old) => {
            let first = first_line(lines, key);
            facts
                .conflicts
                .push(dispute(key, first, &old.shown(), line, &value.shown()));
            *slot(facts) = None;
        }
    }
}

/// Whether rows of the machine already disagreed on `key`.
fn disputed(facts: &HostFacts, key: &str) -> bool {
    facts
        .conflicts
        .iter()
        .any(|c| c.split(':').next() == Some(key))
}

fn first_line(lines: &[(&'static str, usize)], key: &str) -> usize {
    lines
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(0, |(_, line)| *line)
}

/// `rras_running: inventory line 3 says true, line 7 says false`: the
/// dispute as `host.conflicts` keeps it, key first.
fn dispute(key: &str, first: usize, old: &str, line: usize, new: &str) -> String {
    format!(
        "{key}: inventory line {first} says {}, line {line} says {}",
        clean(&cut(old)),
        clean(&cut(new))
    )
}

fn short(name: &str) -> String {
    name.trim()
        .split('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// `corp.example.com` and `CORP` (a NetBIOS domain) are the same domain.
fn same_domain(amt: &str, row: &str) -> bool {
    let (a, r) = (
        amt.trim().to_ascii_lowercase(),
        row.trim().to_ascii_lowercase(),
    );
    if r.contains('.') {
        a == r
    } else {
        a.split('.').next() == Some(r.as_str())
    }
}

/// The IP address in a record's target (`10.0.0.5`, `10.0.0.5:16992`, `[::1]:16993`).
pub fn target_ip(target: &str) -> Option<IpAddr> {
    let t = target.trim();
    if let Ok(ip) = t.parse() {
        return Some(ip);
    }
    if let Ok(sa) = t.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    t.rsplit_once(':').and_then(|(h, _)| h.parse().ok())
}

fn csv_rows(body: &[u8], grouping: &mut Grouping) -> Result<(), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| format!("line 1: cannot read the header: {e}"))?
        .clone();
    let cols: Vec<Option<Col>> = headers.iter().map(column).collect();
    if !cols
        .iter()
        .any(|c| matches!(c, Some(Col::Address | Col::Name | Col::Computer)))
    {
        return Err(
            "line 1: no column to join on (address, IP_Addresses0, Name0, Netbios_Name0, ...)"
                .into(),
        );
    }
    let service_rows = cols
        .iter()
        .any(|c| matches!(c, Some(Col::State | Col::StartMode)));
    let mut lines = Lines::new(body);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                grouping.problem(format!("line {line}: {}", clean(&e.to_string())));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        };
        let line = record.position().map(|p| lines.at(p.byte())).unwrap_or(0);
        if record.len() != headers.len() {
            grouping.problem(format!(
                "line {line}: {} field(s) where the header has {}",
                record.len(),
                headers.len()
            ));
            continue;
        }
        let mut row = Row {
            line,
            ..Row::default()
        };
        let mut bad = None;
        for (value, col) in record.iter().zip(&cols) {
            if let Some(col) = col {
                if let Err(e) = row.set(*col, value, service_rows) {
                    bad = Some(e);
                    break;
                }
            }
        }
        match bad {
            Some(e) => grouping.problem(format!("line {line}: {e}")),
            None => grouping.add(row),
        }
    }
    Ok(())
}

/// The 1-based line at a byte offset, counted on from the last offset asked
/// for: records come in order, so a whole file costs one pass, not one pass
/// per row. On CRLF files the csv crate puts a record's start at the `\n` of
/// the line before, so line breaks there are skipped first.
struct Lines<'a> {
    body: &'a [u8],
    counted_to: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(body: &'a [u8]) -> Self {
        Self {
            body,
            counted_to: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> usize {
        let body = self.body;
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(body.len());
        while end < body.len() && matches!(body[end], b'\r' | b'\n') {
            end += 1;
        }
        if end < self.counted_to {
            // Never expected (the reader only moves forward); start over.
            self.counted_to = 0;
            self.line = 1;
        }
        self.line += body[self.counted_to..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.counted_to = end;
        self.line
    }
}

fn json_rows(body: &[u8], grouping: &mut Grouping) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<Value> =
            serde_json::from_str(trimmed).map_err(|e| format!("not a JSON array: {e}"))?;
        for (i, v) in items.into_iter().enumerate() {
            json_row(grouping, i + 1, Ok(v));
        }
        return Ok(());
    }
    // One pretty-printed object, else JSON Lines, each line read as it comes.
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        json_row(grouping, 1, Ok(v));
        return Ok(());
    }
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"));
        json_row(grouping, i + 1, value);
    }
    Ok(())
}

/// One JSON record (or why it could not be read) into the grouping.
fn json_row(grouping: &mut Grouping, line: usize, value: Result<Value, String>) {
    let object = match value {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            grouping.problem(format!("line {line}: not a JSON object"));
            return;
        }
        Err(e) => {
            grouping.problem(format!("line {line}: {}", clean(&e)));
            return;
        }
    };
    let service_rows = object
        .keys()
        .any(|k| matches!(column(k), Some(Col::State | Col::StartMode)));
    let mut row = Row {
        line,
        ..Row::default()
    };
    let mut bad = None;
    for (key, value) in &object {
        if let Some(col) = column(key) {
            if let Err(e) = row.set(col, &json_text(value), service_rows) {
                bad = Some(e);
                break;
            }
        }
    }
    match bad {
        Some(e) => grouping.problem(format!("line {line}: {e}")),
        None => grouping.add(row),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CM: &str = "\
Netbios_Name0,Resource_Domain_OR_Workgr0,IP_Addresses0,Caption0,CSDVersion0,SystemType0,OperatingSystemSKU0,Name0,State0,StartMode0
PC-1,CORP,10.0.0.1,Microsoft Windows XP Professional,Service Pack 3,X86-based PC,,RemoteAccess,Running,Auto
PC-1,CORP,10.0.0.1,Microsoft Windows XP Professional,Service Pack 3,X86-based PC,,SharedAccess,Running,Auto
SRV-2,CORP,10.0.0.2,Microsoft Windows Server 2008 Enterprise,Service Pack 2,x64-based PC,14,RemoteAccess,Stopped,Disabled
W7-3,CORP,10.0.0.3,Microsoft Windows 7 Enterprise,Service Pack 1,x64-based PC,4,SharedAccess,Running,Auto
W7-3,CORP,not-an-ip,Microsoft Windows 7 Enterprise,Service Pack 1,x64-based PC,4,RemoteAccess,Stopped,Manual
BAD,\"unterminated
";

    #[test]
    fn configuration_manager_columns_make_facts() {
        let inv = Inventory::parse(CM.as_bytes()).unwrap();
        assert_eq!(inv.machines.len(), 3, "{:?}", inv.machines);
        let pc1 = &inv.machines[0].facts;
        assert_eq!(pc1.os.as_deref(), Some("Microsoft Windows XP Professional"));
        assert_eq!(pc1.architecture.as_deref(), Some("x86"));
        assert_eq!(pc1.rras_running, Some(true));
        // XP: SharedAccess is the firewall too.
        assert_eq!(pc1.ics_enabled, None);
        let srv = &inv.machines[1].facts;
        assert_eq!(
            (srv.server_core, srv.rras_running),
            (Some(true), Some(false))
        );
        let w7 = &inv.machines[2].facts;
        assert_eq!((w7.server_core, w7.ics_enabled), (Some(false), Some(true)));
        assert_eq!(inv.problems.len(), 2, "{:?}", inv.problems);
        assert!(
            inv.problems[0].starts_with("line 6: `not-an-ip` is not an IP address"),
            "{:?}",
            inv.problems
        );
        assert!(inv.problems[1].starts_with("line 7"), "{:?}", inv.problems);
    }

    #[test]
    fn joins_by_address_or_amt_hostname() {
        let inv = Inventory::parse(CM.as_bytes()).unwrap();
        let mut by_ip = FactsRecord::new("10.0.0.2:16992");
        assert!(inv.apply(&mut by_ip, None));
        assert_eq!(
            by_ip.host.unwrap().sources.get("os"),
            Some(&FactSource::Inventory)
        );
        let mut by_name = FactsRecord::new("10.9.9.9");
        by_name.amt = Some(crate::facts::AmtFacts {
            hostname: Some("w7-3".into()),
            domain: Some("corp.example.com".into()),
            ..Default::default()
        });
        assert!(inv.apply(&mut by_name, None));
        let mut lost = FactsRecord::new("10.9.9.8");
        assert!(!inv.apply(&mut lost, None));
        let mut disputed = FactsRecord::new("10.0.0.1");
        disputed.host = Some(HostFacts {
            rras_running: Some(false),
            ..HostFacts::default()
        });
        assert!(inv.apply(&mut disputed, None));
        assert_eq!(disputed.host.as_ref().unwrap().rras_running, None);
        let report = inv.report(10);
        assert!(
            report.iter().any(|l| l.contains(
                "1 fact(s) where the record and the inventory disagree, left unknown: \
                 10.0.0.1: rras_running: file says false, inventory says true"
            )),
            "{report:?}"
        );
        // Every computer was joined this time.
        assert!(inv.unmatched_rows().is_empty(), "{report:?}");
        assert!(
            report
                .iter()
                .any(|l| l.contains("1 device(s) had no inventory row: 10.9.9.8")),
            "{report:?}"
        );
    }

    #[test]
    fn our_own_names_in_json_lines_and_wmi_names_in_an_array() {
        let jsonl = "{\"address\": \"10.1.0.1\", \"os_caption\": \"Microsoft Windows XP Tablet PC Edition\", \"os_csd_version\": \"Service Pack 2\", \"inband_provisioning\": true, \"rras_running\": false}\n\
                     {\"address\": \"10.1.0.2\", \"server_core\": \"maybe\"}\n";
        let inv = Inventory::parse(jsonl.as_bytes()).unwrap();
        assert_eq!(inv.machines[0].facts.inband_provisioning, Some(true));
        assert_eq!(inv.problems, ["line 2: `maybe` is not true or false"]);
        let wmi = r#"[{"PSComputerName": "PC-9", "Caption": "Microsoft Windows 7 Professional", "CSDVersion": "Service Pack 1", "OSArchitecture": "64-bit", "OperatingSystemSKU": 48, "Version": "6.1.7601"},
                      {"PSComputerName": "PC-9", "Name": "SharedAccess", "Caption": "Internet Connection Sharing (ICS)", "State": "Stopped", "StartMode": "Manual"}]"#;
        let inv = Inventory::parse(wmi.as_bytes()).unwrap();
        let f = &inv.machines[0].facts;
        assert_eq!(f.os.as_deref(), Some("Microsoft Windows 7 Professional"));
        assert_eq!(
            (f.architecture.as_deref(), f.server_core, f.ics_enabled),
            (Some("x64"), Some(false), Some(false))
        );
    }

    #[test]
    fn a_file_without_a_join_column_is_refused() {
        let e = Inventory::parse(b"Caption0,CSDVersion0\nx,y\n").unwrap_err();
        assert!(e.contains("no column to join on"), "{e}");
    }
}
