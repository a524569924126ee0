//! `--host-facts FILE`: an inventory export (CSV, JSON array or JSON Lines)
//! read once, merged per machine, and joined to AMT devices by IP address or
//! by AMT's own hostname and domain.
//!
//! Columns are found by header name in any order, case-insensitively, with a
//! table prefix (`os.Caption0`) and Configuration Manager's trailing `0`
//! ignored; unknown columns are ignored, since real exports carry many.
//! Several rows may describe one machine (one per IP address, one per
//! service): they are merged by computer name, or by address without one.
//!
//! The file is streamed, never held whole: what stays is one compact
//! [`Machine`] per computer, with the strings that repeat across an estate
//! (captions, service packs, domains) held once in a shared table.

use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead, BufReader, Read};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::windows::{self, Services};
use crate::facts::{
    AmtStatus, FactSource, FactsRecord, HostFacts, HostStatus, InventoryAmt, ProvisioningState,
};
use crate::text::clean;
use crate::text::clip_field;

/// Largest inventory file read, streamed. The memory budget for a load is
/// a peak RSS under 1 GiB, and these caps hold it (measured with
/// `bench/inventory-memory.sh`; figures in docs/user-guide.md, "Host facts"): a
/// computer costs about 190 bytes loaded, so a file at this cap of
/// Configuration Manager rows (2.8M computers of about 90 bytes) peaks near
/// 520 MiB, and 3.5M computers with the AMT columns (about 250 bytes each)
/// 841 MiB; rows far shorter than that are held by [`MAX_MACHINES`]
/// (456 MiB for 3.5M names alone) and [`MAX_FILE_ADDRESSES`] (733 MiB for
/// 3.5M computers with an IPv4 and an IPv6 address each).
const MAX_FILE: u64 = 256 * 1024 * 1024;
/// Most computers kept from one file: the bound that holds memory when rows
/// are short (a name alone is a few bytes of file but a whole machine).
const MAX_MACHINES: usize = 3_500_000;
/// Most addresses kept for one computer, and parsed from one cell. Real
/// machines have a handful; an export that lists thousands (a NAT pool, a
/// cluster name) cannot be joined by address anyway, and an unbounded list
/// made every row cost as much as all the rows before it.
const MAX_ADDRESSES: usize = 64;
/// Most addresses kept from one file, for the same reason as
/// [`MAX_MACHINES`]: an address costs more held than written.
const MAX_FILE_ADDRESSES: usize = 2 * MAX_MACHINES;
/// Most distinct values kept from one file (captions, versions, domains...).
/// An estate has a few hundred; a file where every row has its own would
/// otherwise hold each in the table and its index, several times the bytes
/// of a machine.
const MAX_STRINGS: usize = 1_000_000;
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
    /// `SMS_AMTObject.AMT` (`v_GS_AMT_AGENT.AMT0`): AMT's firmware version.
    AmtVersion,
    AmtBuild,
    AmtProvisionState,
    AmtProvisionMode,
    AmtZtc,
    AmtTlsMode,
    AmtSku,
    /// `SMS_R_System.AMTStatus` (`v_R_System.AMTStatus0`).
    AmtStatus,
    AmtFullVersion,
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
        // Configuration Manager's AMT columns: the client's hardware
        // inventory class SMS_AMTObject (v_GS_AMT_AGENT in SQL) and the
        // discovery data of SMS_R_System (v_R_System).
        "amt" => Col::AmtVersion,
        "buildnumber" => Col::AmtBuild,
        "provisionstate" => Col::AmtProvisionState,
        "provisionmode" => Col::AmtProvisionMode,
        "ztcenabled" => Col::AmtZtc,
        "tlsmode" => Col::AmtTlsMode,
        "sku" => Col::AmtSku,
        "amtstatus" => Col::AmtStatus,
        "amtfullversion" => Col::AmtFullVersion,
        _ => return None,
    })
}

/// One row's values, by meaning.
#[derive(Debug, Default)]
struct Row {
    line: usize,
    /// At most [`MAX_ADDRESSES`]; `more_addresses` counts the rest.
    addresses: Vec<IpAddr>,
    more_addresses: usize,
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
    /// What Configuration Manager's AMT columns said, when any did.
    amt: Option<InventoryAmt>,
}

/// A string in the inventory's table ([`Strings`]).
type Sid = NonZeroU32;

/// The distinct strings of an inventory, each held once: an estate has a
/// few dozen captions, service packs and domains, not one per computer.
#[derive(Debug, Default)]
struct Strings {
    list: Vec<Arc<str>>,
    /// Only while loading; dropped once every row is in.
    index: HashMap<Arc<str>, Sid>,
    /// [`MAX_STRINGS`], or less in tests.
    max: usize,
    /// Whether a value was left out for want of room.
    full: bool,
}

impl Strings {
    /// The id of `text`, added when new; `None` (and `full` set) when the
    /// table already holds `max` strings.
    fn intern(&mut self, text: String) -> Option<Sid> {
        if let Some(id) = self.index.get(text.as_str()) {
            return Some(*id);
        }
        if self.list.len() >= self.max {
            self.full = true;
            return None;
        }
        let id = u32::try_from(self.list.len() + 1)
            .ok()
            .and_then(NonZeroU32::new)?;
        let text: Arc<str> = Arc::from(text);
        self.list.push(Arc::clone(&text));
        self.index.insert(text, id);
        Some(id)
    }

    fn get(&self, id: Sid) -> &str {
        self.list.get(id.get() as usize - 1).map_or("", |s| &s[..])
    }
}

/// One machine of the inventory, with its merged facts, kept small: an
/// export may hold millions. Strings that repeat are ids into the
/// inventory's table; what few machines need (disputes) is
/// boxed apart.
#[derive(Debug)]
pub struct Machine {
    /// The first line (or JSON element) that named it.
    line: u32,
    name: Option<Box<str>>,
    domain: Option<Sid>,
    addresses: Vec<IpAddr>,
    os: Option<Sid>,
    service_pack: Option<Sid>,
    architecture: Option<Sid>,
    edition: Option<Sid>,
    version: Option<Sid>,
    server_core: Option<bool>,
    rras_running: Option<bool>,
    ics_enabled: Option<bool>,
    inband_provisioning: Option<bool>,
    /// Whether the address clip was reported (once per machine).
    clipped: bool,
    sku: Option<u32>,
    services: Services,
    rare: Option<Box<Rare>>,
    amt: Option<Box<AmtCells>>,
}

/// What few machines carry.
#[derive(Debug, Default)]
struct Rare {
    /// The line that gave a fact, when not the machine's first line, for
    /// a later row that disagrees.
    fact_lines: Vec<(&'static str, u32)>,
    /// Facts two rows disagreed on (`key: inventory line 3 says ...`).
    conflicts: Vec<String>,
}

/// Configuration Manager's AMT columns for one computer, kept compact: a
/// vPro estate repeats a handful of versions, builds and SKUs, so the
/// strings are ids into the inventory's table. Boxed apart from the
/// machine, since most computers of an export have none.
#[derive(Debug, Default, Clone, Copy)]
struct AmtCells {
    version: Option<Sid>,
    build: Option<Sid>,
    sku: Option<Sid>,
    full_version: Option<Sid>,
    provision_mode: Option<u32>,
    tls_mode: Option<u32>,
    provisioning_state: Option<ProvisioningState>,
    amt_status: Option<AmtStatus>,
    ztc_enabled: Option<bool>,
}

impl AmtCells {
    /// As [`InventoryAmt::says_amt`].
    fn says_amt(&self) -> bool {
        self.version.is_some()
            || self.full_version.is_some()
            || matches!(
                self.amt_status,
                Some(AmtStatus::Detected | AmtStatus::NotProvisioned | AmtStatus::Provisioned)
            )
    }

    fn to_facts(self, strings: &Strings) -> InventoryAmt {
        let s = |id: Option<Sid>| id.map(|id| strings.get(id).to_string());
        InventoryAmt {
            version: s(self.version),
            build: s(self.build),
            sku: s(self.sku),
            full_version: s(self.full_version),
            provision_mode: self.provision_mode,
            tls_mode: self.tls_mode,
            provisioning_state: self.provisioning_state,
            amt_status: self.amt_status,
            ztc_enabled: self.ztc_enabled,
            ..InventoryAmt::default()
        }
    }
}

impl Machine {
    fn new(line: usize) -> Machine {
        Machine {
            line: line_u32(line),
            name: None,
            domain: None,
            addresses: Vec::new(),
            os: None,
            service_pack: None,
            architecture: None,
            edition: None,
            version: None,
            server_core: None,
            rras_running: None,
            ics_enabled: None,
            inband_provisioning: None,
            clipped: false,
            sku: None,
            services: Services::default(),
            rare: None,
            amt: None,
        }
    }

    /// The computer's name as the export gave it.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The first line (or JSON element) that named it.
    pub fn line(&self) -> usize {
        self.line as usize
    }

    /// Its addresses, at most [`MAX_ADDRESSES`].
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses
    }

    fn conflicts(&self) -> &[String] {
        self.rare.as_deref().map_or(&[], |r| &r.conflicts[..])
    }

    /// `line 7 (10.0.0.5, PC-1)`: the machine in a list of rows.
    fn row_words(&self) -> String {
        let who = self
            .addresses
            .first()
            .map(|ip| ip.to_string())
            .into_iter()
            .chain(self.name.as_deref().map(|n| clean(&cut(n)).into_owned()))
            .collect::<Vec<_>>()
            .join(", ");
        format!("line {} ({who})", self.line)
    }

    /// The computer in a problem line: its name, else its first address.
    fn who(&self) -> String {
        match (&self.name, self.addresses.first()) {
            (Some(name), _) => clean(&cut(name)).into_owned(),
            (None, Some(ip)) => format!("the computer at {ip}"),
            (None, None) => "the computer".into(),
        }
    }
}

fn line_u32(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// The inventory, ready to join.
#[derive(Debug)]
pub struct Inventory {
    /// The file as given, for messages.
    pub path: String,
    /// One per computer the export names, its rows merged.
    pub machines: Vec<Machine>,
    /// Rows that could not be used, one line each (`line 7: ...`).
    pub problems: Vec<String>,
    /// Problems beyond those kept.
    pub more_problems: usize,
    strings: Strings,
    by_ip: ByIp,
    /// Addresses two computers claim (the first two lines): joining by
    /// them would let row order pick the computer, so they join nothing.
    ambiguous: HashMap<IpAddr, (u32, u32)>,
    /// Named machines by short name, lowercase: one machine per name, as
    /// rows are grouped by it.
    by_name: ByName,
    matched: Vec<AtomicBool>,
    unmatched_devices: Mutex<Vec<String>>,
    /// Facts on which a device's record and its row disagreed (`target: ...`).
    conflicts: Mutex<Vec<String>>,
    /// The computers the export says have AMT, by machine index: watched
    /// through a scan for the ones whose addresses all stay silent.
    watch: Vec<Watch>,
}

/// A computer the export says has AMT, followed through one scan.
#[derive(Debug)]
struct Watch {
    machine: u32,
    /// One of its addresses was swept and answered nothing.
    silent: AtomicBool,
    /// Something answered at one of its addresses (or as it, by AMT's
    /// hostname).
    answered: AtomicBool,
}

/// An address of a computer the export says has AMT that answered nothing
/// in the sweep, held back until the scan's end decides whether the
/// computer is dark ([`Inventory::settle_dark`]).
#[derive(Debug)]
pub struct HeldSilent<T> {
    /// The address swept.
    pub ip: IpAddr,
    /// The target as the scan names it (`10.0.0.5`, `10.0.0.5:16993`).
    pub label: String,
    /// What the sweep saw, in words (`TCP 16992 no answer, ...`).
    pub ports: String,
    /// Whether a port refused the connection: the host is on.
    pub refused: bool,
    /// The record the scan would have written for the address.
    pub held: T,
}

/// What the end of a scan makes of the held silent addresses.
#[derive(Debug)]
pub enum Settled<T> {
    /// A computer whose swept addresses all stayed silent: one record.
    Dark(Box<FactsRecord>),
    /// An address of a computer that answered elsewhere: its own record.
    Kept(T),
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

/// A cell as a kept string: none when empty, clipped like every string a
/// record keeps, so a 50 MB caption cannot make a record its readers refuse.
fn text(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty() && !t.eq_ignore_ascii_case("null")).then(|| clip_field(t).into_owned())
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

/// `10.0.0.5`, `10.0.0.5, fe80::1`, WMI's `{10.0.0.5, fe80::1}`: the
/// addresses, up to `room` of them, and how many entries were left unread
/// past that (counted, not parsed, so one huge cell costs one pass). An
/// entry read that is not an address is an error.
fn addresses(v: &str, room: usize) -> Result<(Vec<IpAddr>, usize), String> {
    let mut out = Vec::new();
    let mut rest = 0;
    for part in v
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split([',', ';', ' '])
        .map(|p| p.trim().trim_matches('"'))
        .filter(|p| !p.is_empty())
    {
        if out.len() >= room {
            rest += 1;
            continue;
        }
        let ip: IpAddr = part
            .parse()
            .map_err(|_| format!("`{}` is not an IP address", clean(&cut(part))))?;
        out.push(ip);
    }
    Ok((out, rest))
}

impl Row {
    /// Sets one cell. `service_rows` says whether `Name` is a service name.
    fn set(&mut self, col: Col, value: &str, service_rows: bool) -> Result<(), String> {
        match col {
            Col::Address => {
                let room = MAX_ADDRESSES.saturating_sub(self.addresses.len());
                let (found, rest) = addresses(value, room)?;
                self.addresses.extend(found);
                self.more_addresses += rest;
            }
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
            Col::AmtVersion
            | Col::AmtBuild
            | Col::AmtProvisionState
            | Col::AmtProvisionMode
            | Col::AmtZtc
            | Col::AmtTlsMode
            | Col::AmtSku
            | Col::AmtStatus
            | Col::AmtFullVersion => self.set_amt(col, value)?,
        }
        Ok(())
    }
}

impl Row {
    /// Sets one of Configuration Manager's AMT cells. A blank or `null` cell
    /// says nothing (a computer without the HECI driver has no
    /// SMS_AMTObject row, so a LEFT JOIN leaves its columns null).
    fn set_amt(&mut self, col: Col, value: &str) -> Result<(), String> {
        let Some(cell) = text(value) else {
            return Ok(());
        };
        let number = |name: &str| {
            cell.parse::<u32>()
                .map_err(|_| format!("{name} `{}` is not a number", clean(&cut(&cell))))
        };
        let amt = self.amt.get_or_insert_with(InventoryAmt::default);
        match col {
            Col::AmtVersion => amt.version = Some(cell.clone()),
            Col::AmtBuild => amt.build = Some(cell.clone()),
            Col::AmtProvisionState => {
                let n = number("ProvisionState")?;
                amt.provisioning_state =
                    Some(ProvisioningState::from_wire(n).ok_or_else(|| {
                        format!("ProvisionState `{n}` is not 0 (pre), 1 (in) or 2 (post)")
                    })?);
            }
            Col::AmtProvisionMode => amt.provision_mode = Some(number("ProvisionMode")?),
            Col::AmtZtc => {
                amt.ztc_enabled = boolean(&cell).map_err(|e| format!("ZTCEnabled {e}"))?;
            }
            Col::AmtTlsMode => amt.tls_mode = Some(number("TLSMode")?),
            Col::AmtSku => amt.sku = Some(cell.clone()),
            Col::AmtStatus => {
                let n = number("AMTStatus")?;
                amt.amt_status = Some(
                    AmtStatus::ALL
                        .into_iter()
                        .find(|s| s.query_value() == u8::try_from(n).ok())
                        .ok_or_else(|| format!("AMTStatus `{n}` is not 0, 1, 2, 3 or null"))?,
                );
            }
            Col::AmtFullVersion => amt.full_version = Some(cell.clone()),
            _ => {}
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
        let too_big = || format!("{shown} is larger than {MAX_FILE} bytes");
        // Opened without blocking and read within a time bound, as every
        // input is: a FIFO nothing writes to is named, not waited on.
        let file = bounded_read::TimedReader::open(path, bounded_read::READ_TIME)
            .map_err(|e| e.to_string())?;
        // A regular file is refused before any row is read; a pipe is
        // counted as it streams.
        let size = std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        if size.is_some_and(|len| len > MAX_FILE) {
            return Err(too_big());
        }
        let count = Rc::new(Cell::new(0));
        let source = Counted {
            inner: file.take(MAX_FILE + 1),
            count: Rc::clone(&count),
        };
        let read = Inventory::read(source, size.unwrap_or(0));
        if count.get() > MAX_FILE {
            return Err(too_big());
        }
        let mut inventory = read.map_err(|e| match e.strip_prefix("cannot read: ") {
            Some(why) => format!("cannot read {shown}: {why}"),
            None => e,
        })?;
        inventory.path = shown;
        Ok(inventory)
    }

    /// Parses an export held in memory (CSV, a JSON array or JSON Lines).
    pub fn parse(bytes: &[u8]) -> Result<Inventory, String> {
        Inventory::read(bytes, bytes.len() as u64)
    }

    /// Reads an export as it streams: only one row (and the parser's
    /// buffer) is held at a time besides the machines. `size` is the file's
    /// size when known, to make room for its machines at once.
    fn read(reader: impl Read, size: u64) -> Result<Inventory, String> {
        // A row of a distinct computer is rarely under 8 bytes (`PC-0001`
        // and a line break). Room asked for and not used is address space,
        // not memory; growing by doubling instead would copy the machines,
        // holding them one and a half times at the peak.
        let room = usize::try_from(size / 8).unwrap_or(MAX_MACHINES);
        let grouping = Grouping::new(room, MAX_MACHINES, MAX_FILE_ADDRESSES, MAX_STRINGS);
        Inventory::read_into(reader, grouping)
    }

    fn read_into(reader: impl Read, mut grouping: Grouping) -> Result<Inventory, String> {
        let mut input = BufReader::with_capacity(64 * 1024, reader);
        let head = input.fill_buf().map_err(|e| format!("cannot read: {e}"))?;
        let bom = head.starts_with(b"\xef\xbb\xbf");
        let first = head
            .iter()
            .skip(if bom { 3 } else { 0 })
            .find(|b| !b.is_ascii_whitespace())
            .copied();
        if bom {
            input.consume(3);
        }
        match first {
            Some(b'[') => json_array(input, &mut grouping)?,
            Some(b'{') => json_lines(input, &mut grouping)?,
            _ => csv_rows(input, &mut grouping)?,
        };
        Ok(grouping.finish())
    }

    /// The facts of one machine, as its rows settled them.
    pub fn facts(&self, m: &Machine) -> HostFacts {
        let s = |id: Option<Sid>| id.map(|id| self.strings.get(id).to_string());
        HostFacts {
            os: s(m.os),
            service_pack: s(m.service_pack),
            architecture: s(m.architecture),
            edition: s(m.edition),
            server_core: m.server_core,
            rras_running: m.rras_running,
            ics_enabled: m.ics_enabled,
            inband_provisioning: m.inband_provisioning,
            conflicts: m.conflicts().to_vec(),
            ..HostFacts::default()
        }
    }
}

/// A reader that counts what passed through it, to tell a file past the
/// cap from one that ends at it.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get().saturating_add(n as u64));
        Ok(n)
    }
}

/// Machine indexes by address, IPv4 apart: most addresses are, and a
/// `u32` key takes a third of the room an `IpAddr`'s does.
#[derive(Debug, Default)]
struct ByIp {
    v4: HashMap<u32, u32>,
    /// Bytes, not `u128`: its alignment would pad every entry to 32 bytes.
    v6: HashMap<[u8; 16], u32>,
}

impl ByIp {
    fn with_capacity(v4: usize, v6: usize) -> ByIp {
        ByIp {
            v4: HashMap::with_capacity(v4),
            v6: HashMap::with_capacity(v6),
        }
    }

    fn get(&self, ip: &IpAddr) -> Option<&u32> {
        match ip {
            IpAddr::V4(a) => self.v4.get(&a.to_bits()),
            IpAddr::V6(a) => self.v6.get(&a.octets()),
        }
    }

    fn insert(&mut self, ip: IpAddr, machine: u32) -> Option<u32> {
        match ip {
            IpAddr::V4(a) => self.v4.insert(a.to_bits(), machine),
            IpAddr::V6(a) => self.v6.insert(a.octets(), machine),
        }
    }

    fn remove(&mut self, ip: &IpAddr) {
        match ip {
            IpAddr::V4(a) => self.v4.remove(&a.to_bits()),
            IpAddr::V6(a) => self.v6.remove(&a.octets()),
        };
    }
}

/// Named machines by short name (lowercase), kept as a hash of the name:
/// the machine holds the name itself, checked on every hit, and the rare
/// name whose hash another name already has is kept whole in `clash`.
/// Half the room of a map of names, for an index of millions.
#[derive(Debug, Default)]
struct ByName<S = RandomState> {
    hasher: S,
    first: HashMap<u64, u32>,
    clash: HashMap<Box<str>, u32>,
}

impl<S: BuildHasher> ByName<S> {
    fn get(&self, key: &str, machines: &[Machine]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        if let Some(&i) = self.first.get(&hash) {
            let name = machines.get(i as usize).and_then(|m| m.name.as_deref());
            if name.is_some_and(|n| short(n) == key) {
                return Some(i);
            }
        }
        self.clash.get(key).copied()
    }

    /// Adds a name [`ByName::get`] did not find.
    fn insert(&mut self, key: String, machine: u32) {
        let hash = self.hasher.hash_one(key.as_str());
        match self.first.entry(hash) {
            Entry::Occupied(_) => {
                self.clash.insert(key.into_boxed_str(), machine);
            }
            Entry::Vacant(slot) => {
                slot.insert(machine);
            }
        }
    }
}

/// Rows gathered into machines as they are read, so no row outlives its
/// line: an estate's export is held once, as machines, never as text.
struct Grouping {
    /// [`MAX_MACHINES`] and [`MAX_FILE_ADDRESSES`], apart so tests can
    /// reach them with small files.
    max_machines: usize,
    max_addresses: usize,
    machines: Vec<Machine>,
    /// Named machines by short name: the grouping key, and after loading
    /// the join by AMT's hostname.
    by_name: ByName,
    /// Machines without a name, by their first address: only while loading.
    nameless: ByIp,
    strings: Strings,
    problems: Problems,
    /// Addresses kept so far, up to `max_addresses`.
    addresses: usize,
    /// Whether the file's address bound was reported.
    addresses_said: bool,
    /// Whether the file's computer bound was reported.
    machines_said: bool,
    /// Whether the file's bound on distinct values was reported.
    strings_said: bool,
}

impl Grouping {
    fn new(room: usize, max_machines: usize, max_addresses: usize, max_strings: usize) -> Grouping {
        Grouping {
            max_machines,
            max_addresses,
            machines: Vec::with_capacity(room.min(max_machines)),
            by_name: ByName::default(),
            nameless: ByIp::default(),
            strings: Strings {
                max: max_strings,
                ..Strings::default()
            },
            problems: Problems::default(),
            addresses: 0,
            addresses_said: false,
            machines_said: false,
            strings_said: false,
        }
    }

    fn problem(&mut self, text: String) {
        self.problems.push(text);
    }

    fn add(&mut self, row: Row) {
        let found = match (&row.name, row.addresses.first()) {
            (Some(name), _) => {
                let key = short(name);
                match self.by_name.get(&key, &self.machines) {
                    Some(i) => Some(i),
                    None => {
                        let i = self.new_machine(row.line);
                        if let Some(i) = i {
                            self.by_name.insert(key, i);
                        }
                        i
                    }
                }
            }
            (None, Some(ip)) => match self.nameless.get(ip) {
                Some(i) => Some(*i),
                None => {
                    let ip = *ip;
                    let i = self.new_machine(row.line);
                    if let Some(i) = i {
                        self.nameless.insert(ip, i);
                    }
                    i
                }
            },
            (None, None) => {
                self.problems.push(format!(
                    "line {}: no address or computer name to join on",
                    row.line
                ));
                return;
            }
        };
        let Some(machine) = found.and_then(|i| self.machines.get_mut(i as usize)) else {
            return;
        };
        let line = row.line;
        let before = self.addresses;
        let mut room = self.max_addresses.saturating_sub(before);
        let cut = machine.add(row, &mut self.strings, &mut self.problems, &mut room);
        self.addresses = self.max_addresses.saturating_sub(room);
        if self.strings.full && !self.strings_said {
            self.strings_said = true;
            self.problems.push(format!(
                "line {line}: more than {} distinct values (captions, versions, domains...) \
                 in the file; the values past it are left unknown",
                self.strings.max
            ));
        }
        if cut && !self.addresses_said {
            self.addresses_said = true;
            self.problems.push(format!(
                "line {line}: more than {} addresses in the file; those past it are not joined",
                self.max_addresses
            ));
        }
    }

    /// A new machine's index, or `None` (and a problem) past [`MAX_MACHINES`].
    fn new_machine(&mut self, line: usize) -> Option<u32> {
        let index = u32::try_from(self.machines.len())
            .ok()
            .filter(|_| self.machines.len() < self.max_machines);
        match index {
            Some(_) => self.machines.push(Machine::new(line)),
            // Said once; the other rows past it are counted as bad rows.
            None if self.machines_said => self.problems.dropped += 1,
            None => {
                self.machines_said = true;
                self.problems.push(format!(
                    "line {line}: more than {} computers in the file; the rows of the others are not read",
                    self.max_machines
                ));
            }
        }
        index
    }

    fn finish(self) -> Inventory {
        let Grouping {
            mut machines,
            by_name,
            nameless,
            mut strings,
            mut problems,
            ..
        } = self;
        // Only the indexes below are kept; the loading ones go first.
        drop(nameless);
        strings.index = HashMap::new();
        // Not shrunk: that would copy them, and the room left was never
        // touched.
        for m in &mut machines {
            m.finish(&strings);
        }
        let (mut v4, mut v6) = (0, 0);
        for ip in machines.iter().flat_map(|m| &m.addresses) {
            match ip {
                IpAddr::V4(_) => v4 += 1,
                IpAddr::V6(_) => v6 += 1,
            }
        }
        let mut by_ip = ByIp::with_capacity(v4, v6);
        let mut ambiguous = HashMap::new();
        for (i, m) in (0u32..).zip(&machines) {
            for ip in &m.addresses {
                if let Some(other) = by_ip.insert(*ip, i) {
                    if other != i {
                        let other_line = machines.get(other as usize).map_or(0, Machine::line);
                        problems.push(format!(
                            "line {}: address {ip} is also on line {other_line} (another computer); \
                             neither is joined by that address",
                            m.line
                        ));
                        ambiguous.entry(*ip).or_insert((other, i));
                    }
                }
            }
        }
        let Problems {
            kept: problems,
            dropped: more_problems,
        } = problems;
        let matched = machines.iter().map(|_| AtomicBool::new(false)).collect();
        // In machine order, so a machine's entry is found by binary search.
        let watch = (0u32..)
            .zip(&machines)
            .filter(|(_, m)| m.amt.as_deref().is_some_and(AmtCells::says_amt))
            .map(|(machine, _)| Watch {
                machine,
                silent: AtomicBool::new(false),
                answered: AtomicBool::new(false),
            })
            .collect();
        for ip in ambiguous.keys() {
            by_ip.remove(ip);
        }
        Inventory {
            path: String::new(),
            machines,
            problems,
            more_problems,
            strings,
            by_ip,
            ambiguous,
            by_name,
            matched,
            unmatched_devices: Mutex::new(Vec::new()),
            conflicts: Mutex::new(Vec::new()),
            watch,
        }
    }
}

impl Inventory {
    /// The machine for a device: by its address, else by AMT's own hostname
    /// and domain (GeneralSettings).
    pub fn find(&self, record: &FactsRecord, ip: Option<IpAddr>) -> Option<&Machine> {
        let i = self.find_index(record, ip)?;
        self.machines.get(i as usize)
    }

    fn find_index(&self, record: &FactsRecord, ip: Option<IpAddr>) -> Option<u32> {
        let ip = ip.or_else(|| target_ip(&record.target));
        if let Some(i) = ip.and_then(|ip| self.by_ip.get(&ip)) {
            self.machines.get(*i as usize)?;
            self.matched
                .get(*i as usize)?
                .store(true, Ordering::Relaxed);
            return Some(*i);
        }
        let amt = record.amt.as_ref()?;
        let host = amt.hostname.as_deref().filter(|h| !h.is_empty())?;
        let i = self.by_name.get(&short(host), &self.machines)?;
        let m = self.machines.get(i as usize)?;
        let domain = amt.domain.as_deref().filter(|d| !d.is_empty());
        if let (Some(d), Some(md)) = (domain, m.domain) {
            if !same_domain(d, self.strings.get(md)) {
                return None;
            }
        }
        self.matched.get(i as usize)?.store(true, Ordering::Relaxed);
        Some(i)
    }

    /// The two computers that claim `ip`, in words, when two do.
    fn claimants(&self, ip: IpAddr) -> Option<String> {
        let (a, b) = *self.ambiguous.get(&ip)?;
        let who = |i: u32| {
            let Some(m) = self.machines.get(i as usize) else {
                return String::new();
            };
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
        let found = self.find_index(record, ip);
        if let Some(i) = found {
            if answered(record) {
                if let Some(w) = self.watched(i) {
                    w.answered.store(true, Ordering::SeqCst);
                }
            }
        }
        match found.and_then(|i| self.machines.get(i as usize)) {
            Some(m) => {
                let host = record.host.get_or_insert_with(HostFacts::default);
                if let Some(claim) = &disputed_address {
                    let note = format!("address: {claim}; joined by AMT's hostname instead");
                    if !host.conflicts.contains(&note) {
                        host.conflicts.push(note);
                    }
                }
                let before = host.conflicts.len();
                super::merge(host, &self.facts(m), FactSource::Inventory);
                if let Some(amt) = self.evidence(m) {
                    record.inventory_amt = Some(amt);
                }
                let host = record.host.get_or_insert_with(HostFacts::default);
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

    /// What Configuration Manager's AMT columns said of machine `m`.
    pub fn amt_of(&self, m: &Machine) -> Option<InventoryAmt> {
        Some(m.amt.as_deref()?.to_facts(&self.strings))
    }

    /// The watch of machine `i`, when the export says it has AMT.
    fn watched(&self, i: u32) -> Option<&Watch> {
        let k = self.watch.binary_search_by_key(&i, |w| w.machine).ok()?;
        self.watch.get(k)
    }

    fn watched_at(&self, ip: IpAddr) -> Option<&Watch> {
        self.watched(*self.by_ip.get(&ip)?)
    }

    /// How many computers the export says have AMT.
    pub fn amt_machines(&self) -> usize {
        self.watch.len()
    }

    /// Notes that `ip` answered nothing in the sweep. True when it is an
    /// address of a computer the export says has AMT: its record is then
    /// held for [`Inventory::settle_dark`] instead of written.
    pub fn note_silent(&self, ip: IpAddr) -> bool {
        match self.watched_at(ip) {
            Some(w) => {
                w.silent.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// Notes that something answered the sweep at `ip`.
    pub fn note_answered(&self, ip: IpAddr) {
        if let Some(w) = self.watched_at(ip) {
            w.answered.store(true, Ordering::SeqCst);
        }
    }

    /// The inventory's AMT evidence for machine `m`, named.
    fn evidence(&self, m: &Machine) -> Option<InventoryAmt> {
        let mut amt = self.amt_of(m)?;
        amt.computer = m.name().map(|n| clean(&cut(n)).into_owned());
        amt.from = Some(match clean(&self.path) {
            path if path.is_empty() => format!("line {}", m.line()),
            path => format!("{path} line {}", m.line()),
        });
        Some(amt)
    }

    /// At the scan's end (every address swept, every device read): the
    /// held silent addresses ([`Inventory::note_silent`]) become one `dark`
    /// record per computer none of whose addresses answered, and the rest
    /// (addresses of computers that answered at another) are given back.
    /// In the export's order, so a run's output does not depend on timing.
    pub fn settle_dark<T>(&self, held: Vec<HeldSilent<T>>) -> Vec<Settled<T>> {
        let mut by_machine: Vec<(u32, HeldSilent<T>)> = Vec::with_capacity(held.len());
        let mut out = Vec::new();
        for h in held {
            match self.by_ip.get(&h.ip) {
                Some(&i) => by_machine.push((i, h)),
                None => out.push(Settled::Kept(h.held)),
            }
        }
        by_machine.sort_by_key(|(i, h)| (*i, h.label.clone()));
        let mut rest = by_machine.into_iter().peekable();
        while let Some((i, first)) = rest.next() {
            let mut group = vec![first];
            while let Some((_, h)) = rest.next_if(|(j, _)| *j == i) {
                group.push(h);
            }
            let dark = self
                .watched(i)
                .is_some_and(|w| !w.answered.load(Ordering::SeqCst));
            match self.machines.get(i as usize).filter(|_| dark) {
                Some(m) => {
                    // Its row is reported by its dark record, not as a row
                    // that matched nothing.
                    if let Some(hit) = self.matched.get(i as usize) {
                        hit.store(true, Ordering::Relaxed);
                    }
                    out.push(Settled::Dark(Box::new(self.dark_record(m, &group))));
                }
                None => out.extend(group.into_iter().map(|h| Settled::Kept(h.held))),
            }
        }
        out
    }

    /// The record of a dark computer: its inventory evidence, the addresses
    /// that stayed silent, and the likely causes.
    fn dark_record<T>(&self, m: &Machine, silent: &[HeldSilent<T>]) -> FactsRecord {
        let target = silent.first().map_or_else(String::new, |h| h.label.clone());
        let mut record = FactsRecord::new(target);
        record.status = Some(HostStatus::Dark);
        let mut amt = self.evidence(m).unwrap_or_default();
        let refused = silent.iter().any(|h| h.refused);
        amt.silent_addresses = silent.iter().map(|h| h.label.clone()).collect();
        amt.likely_causes = likely_causes(&amt, refused);
        let seen = silent
            .iter()
            .map(|h| format!("{} ({})", h.label, h.ports))
            .collect::<Vec<_>>()
            .join("; ");
        let causes = amt
            .likely_causes
            .iter()
            .enumerate()
            .map(|(n, c)| format!("{}) {c}", n + 1))
            .collect::<Vec<_>>()
            .join("; ");
        record.error = Some(
            clean(&format!(
                "the inventory says AMT ({}), but nothing answered at {seen}; likely causes, likeliest first: {causes}",
                amt.evidence()
            ))
            .into_owned(),
        );
        record.inventory_amt = Some(amt);
        let mut host = HostFacts::default();
        super::merge(&mut host, &self.facts(m), FactSource::Inventory);
        if host != HostFacts::default() {
            record.host = Some(host);
        }
        record
    }

    /// Machines no device was joined to (line, address or name).
    pub fn unmatched_rows(&self) -> Vec<String> {
        self.unmatched().map(Machine::row_words).collect()
    }

    fn unmatched(&self) -> impl Iterator<Item = &Machine> {
        self.machines
            .iter()
            .zip(&self.matched)
            .filter(|(_, hit)| !hit.load(Ordering::Relaxed))
            .map(|(m, _)| m)
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
        // Counted, and only the shown ones put in words: an estate's export
        // against a scan of one subnet leaves millions unmatched.
        let unmatched = self.unmatched().count();
        if unmatched > 0 {
            let mut shown: Vec<String> =
                self.unmatched().take(max).map(Machine::row_words).collect();
            if unmatched > max {
                shown.push(format!("and {} more", unmatched - max));
            }
            out.push(format!(
                "{path}: {unmatched} row(s) matched no AMT device: {}",
                shown.join("; ")
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
    /// Takes one row into the machine; `room` is what the file may still
    /// keep of addresses. True when that room cut an address off.
    fn add(
        &mut self,
        row: Row,
        strings: &mut Strings,
        problems: &mut Problems,
        room: &mut usize,
    ) -> bool {
        let line = line_u32(row.line);
        if self.name.is_none() {
            self.name = row.name.map(String::into_boxed_str);
        }
        if self.domain.is_none() {
            self.domain = row.domain.and_then(|d| strings.intern(d));
        }
        let mut over = row.more_addresses;
        let mut file_full = false;
        for ip in row.addresses {
            // At most MAX_ADDRESSES to look through: a computer on a
            // million rows costs a million short looks, not a million long.
            if self.addresses.contains(&ip) {
                continue;
            }
            if self.addresses.len() >= MAX_ADDRESSES {
                over += 1;
                continue;
            }
            if *room == 0 {
                file_full = true;
                continue;
            }
            *room -= 1;
            if self.addresses.len() == self.addresses.capacity() {
                // Most computers have one or two addresses; the room for
                // four that doubling gives wastes more than they take, and
                // growing one at a time is at most MAX_ADDRESSES steps.
                self.addresses.reserve_exact(1);
            }
            self.addresses.push(ip);
        }
        if over > 0 && !self.clipped {
            self.clipped = true;
            problems.push(format!(
                "line {line}: {} lists more than {MAX_ADDRESSES} addresses; the rest are not joined",
                self.who()
            ));
        }
        if let Some(amt) = row.amt {
            self.add_amt(amt, line, strings, problems);
        }
        let mut intern = |v: Option<String>| v.and_then(|v| strings.intern(v));
        let (caption, csd, arch, edition, version) = (
            intern(row.caption),
            intern(row.csd),
            intern(row.arch),
            intern(row.edition),
            intern(row.version),
        );
        let strings = &*strings;
        // Two rows of one computer that disagree on a fact settle nothing:
        // whichever came last would otherwise decide the verdict. The
        // dispute is kept on the machine (and so on its host record) and
        // the fact left unknown, as between sources (`super::merge`).
        let mut at = Settle {
            rare: &mut self.rare,
            first: self.line,
            line,
        };
        let same_text =
            |a: Sid, b: Sid| a == b || strings.get(a).eq_ignore_ascii_case(strings.get(b));
        let show_text = |a: Sid| strings.get(a).to_string();
        at.take("os", &mut self.os, caption, same_text, show_text);
        at.take(
            "service_pack",
            &mut self.service_pack,
            csd,
            same_text,
            show_text,
        );
        at.take(
            "architecture",
            &mut self.architecture,
            arch,
            same_text,
            show_text,
        );
        at.take("edition", &mut self.edition, edition, same_text, show_text);
        let same_bool = |a: bool, b: bool| a == b;
        let show_bool = |a: bool| a.to_string();
        at.take(
            "server_core",
            &mut self.server_core,
            row.server_core,
            same_bool,
            show_bool,
        );
        at.take(
            "rras_running",
            &mut self.rras_running,
            row.rras,
            same_bool,
            show_bool,
        );
        at.take(
            "ics_enabled",
            &mut self.ics_enabled,
            row.ics,
            same_bool,
            show_bool,
        );
        at.take(
            "inband_provisioning",
            &mut self.inband_provisioning,
            row.inband,
            same_bool,
            show_bool,
        );
        if let Some(v) = version {
            match self.version {
                Some(old) if !same_text(old, v) => problems.push(format!(
                    "line {line}: Version `{}` differs from line {} (`{}`) for the same computer; the first is used",
                    clean(&cut(strings.get(v))),
                    self.line,
                    clean(&cut(strings.get(old)))
                )),
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
        file_full
    }

    /// Takes one row's AMT columns: a value the machine lacks is taken, one
    /// that differs from an earlier row's is named as a problem and the
    /// first kept (the rows of one computer come from one export).
    fn add_amt(
        &mut self,
        amt: InventoryAmt,
        line: u32,
        strings: &mut Strings,
        problems: &mut Problems,
    ) {
        let at = (self.line, line);
        let mut intern = |v: Option<String>| v.and_then(|v| strings.intern(v));
        let new = AmtCells {
            version: intern(amt.version),
            build: intern(amt.build),
            sku: intern(amt.sku),
            full_version: intern(amt.full_version),
            provision_mode: amt.provision_mode,
            tls_mode: amt.tls_mode,
            provisioning_state: amt.provisioning_state,
            amt_status: amt.amt_status,
            ztc_enabled: amt.ztc_enabled,
        };
        let Some(have) = self.amt.as_deref_mut() else {
            self.amt = Some(Box::new(new));
            return;
        };
        let strings = &*strings;
        let text = |id: Sid| strings.get(id).to_string();
        let mut take = |name: &str, have: &mut Option<Sid>, new: Option<Sid>| match (*have, new) {
            (None, new) => *have = new,
            (Some(old), Some(new)) if old != new => {
                problems.push(differs(name, &text(new), at, &text(old)));
            }
            _ => {}
        };
        take("AMT", &mut have.version, new.version);
        take("BuildNumber", &mut have.build, new.build);
        take("Sku", &mut have.sku, new.sku);
        take("AMTFullVersion", &mut have.full_version, new.full_version);
        fn take_value<T: PartialEq + Copy>(
            name: &str,
            have: &mut Option<T>,
            new: Option<T>,
            shown: impl Fn(T) -> String,
            at: (u32, u32),
            problems: &mut Problems,
        ) {
            match (*have, new) {
                (None, new) => *have = new,
                (Some(old), Some(new)) if old != new => {
                    problems.push(differs(name, &shown(new), at, &shown(old)));
                }
                _ => {}
            }
        }
        let number = |n: u32| n.to_string();
        take_value(
            "ProvisionMode",
            &mut have.provision_mode,
            new.provision_mode,
            number,
            at,
            problems,
        );
        take_value(
            "TLSMode",
            &mut have.tls_mode,
            new.tls_mode,
            number,
            at,
            problems,
        );
        take_value(
            "ProvisionState",
            &mut have.provisioning_state,
            new.provisioning_state,
            |s| s.as_str().to_string(),
            at,
            problems,
        );
        take_value(
            "AMTStatus",
            &mut have.amt_status,
            new.amt_status,
            |s| s.with_value(),
            at,
            problems,
        );
        take_value(
            "ZTCEnabled",
            &mut have.ztc_enabled,
            new.ztc_enabled,
            |b| b.to_string(),
            at,
            problems,
        );
    }

    /// Settles what needs the whole machine: services read with the OS, and
    /// Server Core from the SKU. A disputed fact stays unsettled. What only
    /// loading needed is dropped.
    fn finish(&mut self, strings: &Strings) {
        let services = self.services;
        let rare = self.rare.as_deref();
        if self.server_core.is_none() && !disputed(rare, "server_core") {
            self.server_core = self.sku.map(windows::sku_is_server_core);
        }
        // An explicit column wins over the service rows.
        if self.rras_running.is_none() && !disputed(rare, "rras_running") {
            self.rras_running = services.rras_running();
        }
        if self.ics_enabled.is_none() && !disputed(rare, "ics_enabled") {
            let text = |id: Option<Sid>| id.map(|id| strings.get(id));
            self.ics_enabled = services.ics_enabled(text(self.os), text(self.version));
        }
        if self.rare.as_ref().is_some_and(|r| r.conflicts.is_empty()) {
            self.rare = None;
        } else if let Some(rare) = &mut self.rare {
            rare.fact_lines = Vec::new();
        }
        self.addresses.shrink_to_fit();
    }
}

/// One row's facts being taken into its machine.
struct Settle<'a> {
    rare: &'a mut Option<Box<Rare>>,
    /// The machine's first line, where a fact not listed in `fact_lines`
    /// came from.
    first: u32,
    line: u32,
}

impl Settle<'_> {
    /// Takes one row's value for a fact: the first value sets it, the same
    /// value again changes nothing, a different one disputes it for good.
    fn take<T: Copy>(
        &mut self,
        key: &'static str,
        slot: &mut Option<T>,
        value: Option<T>,
        same: impl Fn(T, T) -> bool,
        shown: impl Fn(T) -> String,
    ) {
        let Some(value) = value else { return };
        if disputed(self.rare.as_deref(), key) {
            return;
        }
        match *slot {
            None => {
                *slot = Some(value);
                if self.line != self.first {
                    let rare = self.rare.get_or_insert_with(Box::default);
                    rare.fact_lines.push((key, self.line));
                }
            }
            Some(old) if same(old, value) => {}
            Some(old) => {
                let rare = self.rare.get_or_insert_with(Box::default);
                let first = rare
                    .fact_lines
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or(self.first, |(_, line)| *line);
                rare.conflicts
                    .push(dispute(key, first, &shown(old), self.line, &shown(value)));
                *slot = None;
            }
        }
    }
}

/// Whether rows of the machine already disagreed on `key`.
fn disputed(rare: Option<&Rare>, key: &str) -> bool {
    rare.is_some_and(|r| super::is_disputed(&r.conflicts, key))
}

/// Whether something answered for the record: a silent address, a dark
/// computer or a named target that answered nothing did not.
fn answered(record: &FactsRecord) -> bool {
    match record.status {
        Some(HostStatus::Silent | HostStatus::Dark) => false,
        Some(HostStatus::Unreachable) => record.amt.is_some(),
        _ => true,
    }
}

/// Why AMT may be silent on a computer the inventory says has it, the
/// likeliest first. The order is the issue's reading of "About the AMT Status
/// and Out of Band Management" (Not Supported: no AMT, or its interface
/// closed after the provisioning period) and of AMT's power policies; the
/// evidence drops what it rules out.
fn likely_causes(amt: &InventoryAmt, refused: bool) -> Vec<String> {
    let provisioned = amt.provisioning_state == Some(ProvisioningState::Post)
        || amt.amt_status == Some(AmtStatus::Provisioned);
    let mut causes =
        vec!["AMT disabled in the BIOS or the MEBx since the inventory was taken".to_string()];
    // The provisioning period only runs on a device not yet provisioned.
    if !provisioned {
        causes.push(
            "the provisioning period ran out, so AMT closed its network interface (the console's Not Supported); a partial unprovision in the MEBx restarts it"
                .into(),
        );
    }
    // A port that refused the connection was answered by the host's own
    // stack: the computer is on.
    if !refused {
        causes.push(
            "the computer is off and its AMT power policy keeps the management engine off while it is (set the policy to on in S3/S4/S5)"
                .into(),
        );
    }
    causes.push("a firewall between the scanner and the computer blocks TCP 16992/16993".into());
    causes
}

/// `line 9: AMT 6.1.0 differs from line 8 (6.0.3) for the same computer;
/// the first is used`.
fn differs(name: &str, new: &str, (first, line): (u32, u32), old: &str) -> String {
    format!(
        "line {line}: {name} {} differs from line {first} ({}) for the same computer; the first is used",
        clean(&cut(new)),
        clean(&cut(old))
    )
}

/// `rras_running: inventory line 3 says true, line 7 says false`: the
/// dispute as `host.conflicts` keeps it, key first.
fn dispute(key: &str, first: u32, old: &str, line: u32, new: &str) -> String {
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
pub(crate) fn target_ip(target: &str) -> Option<IpAddr> {
    let t = target.trim();
    if let Ok(ip) = t.parse() {
        return Some(ip);
    }
    if let Ok(sa) = t.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    t.rsplit_once(':').and_then(|(h, _)| h.parse().ok())
}

fn csv_rows(input: impl Read, grouping: &mut Grouping) -> Result<(), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(Tap::new(input));
    let headers = reader
        .headers()
        .map_err(|e| format!("line 1: cannot read the header: {}", clean(&e.to_string())))?
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
    // One record, reused: its buffers grow to the longest row once.
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| reader.get_mut().line_at(p.byte()))
                    .unwrap_or(0);
                grouping.problem(format!("line {line}: {}", clean(&e.to_string())));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        let line = record
            .position()
            .map(|p| reader.get_mut().line_at(p.byte()))
            .unwrap_or(0);
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

/// The reader under the CSV parser: it keeps the bytes read since the last
/// record start asked for, so the 1-based line of a record is counted as
/// the file streams by, in one pass, holding no more than a record and the
/// parser's buffer. Records come in order, so offsets only move forward. On
/// CRLF files the csv crate puts a record's start at the `\n` of the line
/// before, so line breaks there are skipped first.
struct Tap<R> {
    inner: R,
    kept: Vec<u8>,
    /// File offset of `kept[0]`.
    base: u64,
    /// Where counting stopped, in `kept`.
    at: usize,
    line: usize,
}

impl<R> Tap<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            kept: Vec::new(),
            base: 0,
            at: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: u64) -> usize {
        let kept = &self.kept;
        let mut end = usize::try_from(byte.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .clamp(self.at, kept.len());
        while end < kept.len() && matches!(kept[end], b'\r' | b'\n') {
            end += 1;
        }
        self.line += kept[self.at..end].iter().filter(|&&b| b == b'\n').count();
        self.at = end;
        // Counted bytes go once they are most of what is kept, so each byte
        // is moved at most a few times, not once per record after it.
        if self.at > 64 * 1024 && self.at * 2 >= self.kept.len() {
            self.kept.drain(..self.at);
            self.base += self.at as u64;
            self.at = 0;
        }
        self.line
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept.extend_from_slice(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }
}

/// A JSON array, read element by element as it streams.
fn json_array(input: impl Read, grouping: &mut Grouping) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_reader(input);
    let not_array = |e: serde_json::Error| format!("not a JSON array: {}", clean(&e.to_string()));
    // Each element goes to the grouping as it is parsed.
    crate::json_array::each_element(
        &mut de,
        "an array of inventory records",
        &mut |element, value| json_row(grouping, element, Ok(value)),
    )
    .map_err(not_array)?;
    de.end().map_err(not_array)
}

/// JSON Lines, each line read as it comes; or, when the first record does
/// not end on its line, pretty-printed objects one after another.
fn json_lines(mut input: impl BufRead, grouping: &mut Grouping) -> Result<(), String> {
    let mut buf = Vec::new();
    let mut line = 0;
    let mut first = true;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value = serde_json::from_slice::<Value>(&buf);
        if first && value.as_ref().is_err_and(serde_json::Error::is_eof) {
            return json_objects(std::io::Cursor::new(buf).chain(input), grouping);
        }
        first = false;
        json_row(grouping, line, value.map_err(|e| format!("not JSON: {e}")));
        if buf.capacity() > 1024 * 1024 {
            // One long line must not keep its buffer for the rest.
            buf = Vec::new();
        }
    }
}

/// Pretty-printed objects, numbered as elements (1, 2...): a bad one ends
/// the file, as nothing after it can be placed.
fn json_objects(input: impl Read, grouping: &mut Grouping) -> Result<(), String> {
    let values = serde_json::Deserializer::from_reader(input).into_iter::<Value>();
    for (i, value) in values.enumerate() {
        let stop = value.is_err();
        json_row(grouping, i + 1, value.map_err(|e| format!("not JSON: {e}")));
        if stop {
            break;
        }
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
        // A nested object is no cell (a facts record's `amt`, say).
        if value.is_object() {
            continue;
        }
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
        let pc1 = &inv.facts(&inv.machines[0]);
        assert_eq!(pc1.os.as_deref(), Some("Microsoft Windows XP Professional"));
        assert_eq!(pc1.architecture.as_deref(), Some("x86"));
        assert_eq!(pc1.rras_running, Some(true));
        // XP: SharedAccess is the firewall too.
        assert_eq!(pc1.ics_enabled, None);
        let srv = &inv.facts(&inv.machines[1]);
        assert_eq!(
            (srv.server_core, srv.rras_running),
            (Some(true), Some(false))
        );
        let w7 = &inv.facts(&inv.machines[2]);
        assert_eq!((w7.server_core, w7.ics_enabled), (Some(false), Some(true)));
        assert_eq!(inv.problems.len(), 2, "{:?}", inv.problems);
        assert!(
            inv.problems[0].starts_with("line 6: `not-an-ip` is not an IP address"),
            "{:?}",
            inv.problems
        );
        assert!(inv.problems[1].starts_with("line 7"), "{:?}", inv.problems);
    }

    /// Configuration Manager's AMT columns as the documented query gives
    /// them: v_R_System, v_GS_AMT_AGENT and v_RA_System_IPAddresses.
    const CM_AMT: &str = "\
ResourceID,Netbios_Name0,IP_Addresses0,AMTStatus0,AMTFullVersion0,AMT0,BuildNumber0,ProvisionState0,ProvisionMode0,ZTCEnabled0,TLSMode0,Sku0
16777217,PC-A,10.0.0.1,2,5.2.10,5.2.10,1023,0,1,1,0,16392
16777217,PC-A,10.0.1.1,2,5.2.10,5.2.10,1023,0,1,1,0,16392
16777218,PC-B,10.0.0.2,3,6.0.3,,,,,,,
16777219,PC-C,10.0.0.3,0,,,,,,,,
16777220,PC-D,10.0.0.4,NULL,,,,,,,,
16777221,PC-E,10.0.0.5,7,,,,,,,,
16777222,PC-F,10.0.0.6,,,5.2.10,1023,4,,,,
16777223,PC-G,10.0.0.7,,,5.2.10,1023,2,,yes-ish,,
16777224,PC-H,10.0.0.8,,,6.0.3,,2,,,,
16777224,PC-H,10.0.0.8,,,6.1.0,,2,,,,
";

    #[test]
    fn configuration_manager_amt_columns_are_read() {
        let inv = Inventory::parse(CM_AMT.as_bytes()).unwrap();
        let names: Vec<_> = inv.machines.iter().filter_map(Machine::name).collect();
        assert_eq!(names, ["PC-A", "PC-B", "PC-C", "PC-D", "PC-H"]);
        let a = inv.amt_of(&inv.machines[0]).unwrap();
        assert_eq!(a.version.as_deref(), Some("5.2.10"));
        assert_eq!(a.build.as_deref(), Some("1023"));
        assert_eq!(a.provisioning_state, Some(ProvisioningState::Pre));
        assert_eq!((a.provision_mode, a.tls_mode), (Some(1), Some(0)));
        assert_eq!(a.ztc_enabled, Some(true));
        assert_eq!(a.sku.as_deref(), Some("16392"));
        assert_eq!(a.amt_status, Some(AmtStatus::NotProvisioned));
        assert_eq!(a.full_version.as_deref(), Some("5.2.10"));
        assert_eq!(
            inv.machines[0].addresses().len(),
            2,
            "two rows, one computer"
        );
        let b = inv.amt_of(&inv.machines[1]).unwrap();
        assert_eq!(b.amt_status, Some(AmtStatus::Provisioned));
        assert!(b.says_amt());
        // Not Supported and null say nothing of AMT: not watched.
        let c = inv.amt_of(&inv.machines[2]).unwrap();
        assert_eq!(c.amt_status, Some(AmtStatus::NotSupported));
        assert!(!c.says_amt());
        assert!(inv.amt_of(&inv.machines[3]).is_none(), "NULL is no value");
        // PC-A, PC-B and PC-H say AMT.
        assert_eq!(inv.amt_machines(), 3);
        // Bad cells are per-row problems, the row left out, the rest read.
        let problems = inv.problems.join("\n");
        assert!(
            problems.contains("line 7: AMTStatus `7` is not 0, 1, 2, 3 or null"),
            "{problems}"
        );
        assert!(
            problems.contains("line 8: ProvisionState `4` is not 0 (pre), 1 (in) or 2 (post)"),
            "{problems}"
        );
        assert!(
            problems.contains("line 9: ZTCEnabled `yes-ish` is not true or false"),
            "{problems}"
        );
        assert!(
            problems.contains("line 11: AMT 6.1.0 differs from line 10 (6.0.3)"),
            "{problems}"
        );
        assert_eq!(
            inv.amt_of(&inv.machines[4]).unwrap().version.as_deref(),
            Some("6.0.3")
        );
    }

    #[test]
    fn a_joined_device_carries_the_inventory_evidence() {
        let inv = Inventory::parse(CM_AMT.as_bytes()).unwrap();
        let mut read = FactsRecord::new("10.0.1.1");
        read.status = Some(HostStatus::Ok);
        assert!(inv.apply(&mut read, None));
        let evidence = read.inventory_amt.unwrap();
        assert_eq!(evidence.computer.as_deref(), Some("PC-A"));
        assert_eq!(evidence.from.as_deref(), Some("line 2"));
        assert!(evidence
            .evidence()
            .contains("SMS_AMTObject AMT 5.2.10, BuildNumber 1023, ProvisionState 0 (pre)"));
    }

    #[test]
    fn a_computer_is_dark_only_when_none_of_its_addresses_answered() {
        let inv = Inventory::parse(CM_AMT.as_bytes()).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let held = |s: &str, refused: bool| HeldSilent {
            ip: ip(s),
            label: s.to_string(),
            ports: "TCP 16992 no answer".into(),
            refused,
            held: s.to_string(),
        };
        // PC-A: both addresses silent. PC-B: silent, but it answered as
        // itself (AMT's hostname). PC-C: the inventory does not say AMT.
        assert!(inv.note_silent(ip("10.0.0.1")) && inv.note_silent(ip("10.0.1.1")));
        assert!(inv.note_silent(ip("10.0.0.2")));
        assert!(!inv.note_silent(ip("10.0.0.3")));
        let mut by_name = FactsRecord::new("10.9.9.9");
        by_name.status = Some(HostStatus::Ok);
        by_name.amt = Some(crate::facts::AmtFacts {
            hostname: Some("pc-b".into()),
            ..Default::default()
        });
        assert!(inv.apply(&mut by_name, None));
        let settled = inv.settle_dark(vec![
            held("10.0.1.1", true),
            held("10.0.0.2", false),
            held("10.0.0.1", false),
        ]);
        assert_eq!(settled.len(), 2, "{settled:?}");
        let Settled::Dark(dark) = &settled[0] else {
            panic!("{settled:?}")
        };
        assert_eq!(dark.status, Some(HostStatus::Dark));
        assert_eq!(dark.target, "10.0.0.1");
        let evidence = dark.inventory_amt.as_ref().unwrap();
        assert_eq!(evidence.silent_addresses, ["10.0.0.1", "10.0.1.1"]);
        // One address refused: the computer is on, so power is not a cause.
        assert_eq!(
            evidence.likely_causes.len(),
            3,
            "{:?}",
            evidence.likely_causes
        );
        assert!(evidence.likely_causes[0].starts_with("AMT disabled in the BIOS"));
        assert!(evidence.likely_causes[1].contains("provisioning period"));
        assert!(!evidence
            .likely_causes
            .iter()
            .any(|c| c.contains("power policy")));
        assert!(dark
            .error
            .as_deref()
            .unwrap()
            .contains("likely causes, likeliest first: 1) AMT disabled"));
        assert!(matches!(&settled[1], Settled::Kept(s) if s == "10.0.0.2"));
    }

    #[test]
    fn a_provisioned_computer_is_not_told_its_provisioning_period_ran_out() {
        let amt = InventoryAmt {
            amt_status: Some(AmtStatus::Provisioned),
            ..InventoryAmt::default()
        };
        let causes = likely_causes(&amt, false);
        assert_eq!(causes.len(), 3);
        assert!(causes[1].contains("power policy") && causes[2].contains("firewall"));
        assert_eq!(likely_causes(&InventoryAmt::default(), false).len(), 4);
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
        assert_eq!(inv.facts(&inv.machines[0]).inband_provisioning, Some(true));
        assert_eq!(inv.problems, ["line 2: `maybe` is not true or false"]);
        let wmi = r#"[{"PSComputerName": "PC-9", "Caption": "Microsoft Windows 7 Professional", "CSDVersion": "Service Pack 1", "OSArchitecture": "64-bit", "OperatingSystemSKU": 48, "Version": "6.1.7601"},
                      {"PSComputerName": "PC-9", "Name": "SharedAccess", "Caption": "Internet Connection Sharing (ICS)", "State": "Stopped", "StartMode": "Manual"}]"#;
        let inv = Inventory::parse(wmi.as_bytes()).unwrap();
        let f = &inv.facts(&inv.machines[0]);
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

    #[test]
    fn one_computer_on_many_rows_keeps_a_bounded_address_list() {
        // Quadratic before: each row looked through every address kept so
        // far, so this many rows took minutes.
        let mut csv = String::from("Netbios_Name0,IP_Addresses0\n");
        for i in 0..300_000u32 {
            let [_, b, c, d] = i.to_be_bytes();
            csv.push_str(&format!("PC-1,10.{b}.{c}.{d}\n"));
        }
        let inv = Inventory::parse(csv.as_bytes()).unwrap();
        assert_eq!(inv.machines.len(), 1);
        assert_eq!(inv.machines[0].addresses().len(), MAX_ADDRESSES);
        // Row 65 (line 66) is the first past the bound; it is said once.
        assert_eq!(
            inv.problems,
            ["line 66: PC-1 lists more than 64 addresses; the rest are not joined"]
        );
        let mut kept = FactsRecord::new("10.0.0.63");
        assert!(inv.find(&kept, None).is_some());
        kept.target = "10.0.0.64".into();
        assert!(inv.find(&kept, None).is_none());
    }

    #[test]
    fn one_huge_address_cell_is_parsed_up_to_the_bound() {
        let mut cell = String::new();
        for i in 0..1_100_000u32 {
            let [_, b, c, d] = i.to_be_bytes();
            cell.push_str(&format!("10.{b}.{c}.{d}, "));
        }
        assert!(cell.len() > 13_000_000);
        let csv = format!("Netbios_Name0,IP_Addresses0\nPC-1,\"{{{cell}}}\"\nPC-2,10.9.9.9\n");
        let inv = Inventory::parse(csv.as_bytes()).unwrap();
        assert_eq!(inv.machines.len(), 2);
        assert_eq!(inv.machines[0].addresses().len(), MAX_ADDRESSES);
        assert_eq!(
            inv.problems,
            ["line 2: PC-1 lists more than 64 addresses; the rest are not joined"]
        );
        assert_eq!(inv.machines[1].line(), 3);
    }

    #[test]
    fn huge_cells_are_clipped_like_device_strings() {
        use crate::text::MAX_FIELD_BYTES;
        let caption = format!(
            "Microsoft Windows XP Professional{}",
            "x".repeat(50_000_000)
        );
        let name = format!("PC-{}", "n".repeat(5_000_000));
        let csv = format!(
            "Netbios_Name0,Resource_Domain_OR_Workgr0,IP_Addresses0,Caption0,CSDVersion0,Version0\n\
             {name},{},10.0.0.1,{caption},{},{}\n",
            "d".repeat(100_000),
            "s".repeat(100_000),
            "6".repeat(100_000),
        );
        let inv = Inventory::parse(csv.as_bytes()).unwrap();
        let m = &inv.machines[0];
        let facts = inv.facts(m);
        let os = facts.os.unwrap();
        assert!(os.len() <= MAX_FIELD_BYTES, "{}", os.len());
        assert!(os.starts_with("Microsoft Windows XP Professional"));
        let kept = os.rfind('…').unwrap();
        assert_eq!(
            os[kept..],
            format!("…(clipped {} bytes)", caption.len() - kept)
        );
        let sp = facts.service_pack.unwrap();
        assert!(sp.len() <= MAX_FIELD_BYTES && sp.contains("…(clipped"));
        let name = m.name().unwrap();
        assert!(name.len() <= MAX_FIELD_BYTES && name.contains("…(clipped"));
        for id in [m.domain, m.version] {
            let text = inv.strings.get(id.unwrap());
            assert!(text.len() <= MAX_FIELD_BYTES && text.contains("…(clipped"));
        }
        // The whole record a report reads stays small.
        let mut record = FactsRecord::new("10.0.0.1");
        assert!(inv.apply(&mut record, None));
        let written = serde_json::to_string(&record).unwrap();
        assert!(written.len() < 4 * MAX_FIELD_BYTES, "{}", written.len());
    }

    #[test]
    fn lines_are_counted_as_the_file_streams() {
        // CRLF, a blank line, and far more than the counter keeps at once.
        let mut csv = String::from("Netbios_Name0,IP_Addresses0\r\n");
        for i in 0..20_000u32 {
            let [_, b, c, d] = i.to_be_bytes();
            csv.push_str(&format!("PC-{i},10.{b}.{c}.{d}\r\n"));
        }
        csv.push_str("\r\nBAD,10.0.0.300\r\nGOOD,10.200.0.1\r\n");
        let inv = Inventory::parse(csv.as_bytes()).unwrap();
        assert_eq!(
            inv.problems,
            ["line 20003: `10.0.0.300` is not an IP address"]
        );
        assert_eq!(inv.machines.last().map(Machine::line), Some(20004));
    }

    #[test]
    fn pretty_printed_objects_are_read() {
        let json = "\n{\n  \"address\": \"10.1.0.1\",\n  \"rras_running\": false\n}\n{\n  \"address\": \"10.1.0.2\"\n}\n";
        let inv = Inventory::parse(json.as_bytes()).unwrap();
        assert_eq!(inv.machines.len(), 2, "{:?}", inv.problems);
        assert_eq!(inv.facts(&inv.machines[0]).rras_running, Some(false));
    }

    #[test]
    fn a_file_keeps_a_bounded_number_of_computers_and_addresses() {
        let mut csv = String::from("Netbios_Name0,IP_Addresses0\n");
        for i in 0..10u32 {
            csv.push_str(&format!("PC-{i},\"10.0.{i}.1, 10.0.{i}.2\"\n"));
        }
        csv.push_str("PC-0,10.0.0.3\n");
        let inv = Inventory::read_into(csv.as_bytes(), Grouping::new(0, 4, 5, 10)).unwrap();
        assert_eq!(inv.machines.len(), 4);
        let kept: usize = inv.machines.iter().map(|m| m.addresses().len()).sum();
        assert_eq!(kept, 5);
        assert_eq!(
            inv.problems,
            [
                "line 4: more than 5 addresses in the file; those past it are not joined",
                "line 6: more than 4 computers in the file; the rows of the others are not read",
            ]
        );
        // Lines 7 to 11 name other computers too; line 12 is PC-0's.
        assert_eq!(inv.more_problems, 5);
    }

    #[test]
    fn names_whose_hashes_clash_are_told_apart() {
        // Every name hashes alike here, so all but the first are clashes.
        #[derive(Default)]
        struct Same;
        impl std::hash::Hasher for Same {
            fn finish(&self) -> u64 {
                7
            }
            fn write(&mut self, _: &[u8]) {}
        }
        let mut index: ByName<std::hash::BuildHasherDefault<Same>> = ByName::default();
        let mut machines = Vec::new();
        for (i, name) in (0u32..).zip(["PC-1", "pc-2.corp", "PC-3"]) {
            let mut m = Machine::new(1);
            m.name = Some(name.into());
            machines.push(m);
            assert_eq!(index.get(&short(name), &machines), None);
            index.insert(short(name), i);
        }
        assert_eq!(index.clash.len(), 2);
        assert_eq!(index.get("pc-1", &machines), Some(0));
        assert_eq!(index.get("pc-2", &machines), Some(1));
        assert_eq!(index.get("pc-3", &machines), Some(2));
        assert_eq!(index.get("pc-4", &machines), None);
    }

    #[test]
    fn a_file_keeps_a_bounded_number_of_distinct_values() {
        let csv = "Netbios_Name0,Caption0,Version0\n\
                   PC-1,Microsoft Windows 7 Enterprise,6.1.7601\n\
                   PC-2,Microsoft Windows 7 Enterprise,6.1.7601\n\
                   PC-3,Microsoft Windows XP Professional,5.1.2600\n";
        let inv = Inventory::read_into(csv.as_bytes(), Grouping::new(0, 10, 10, 3)).unwrap();
        assert_eq!(
            inv.problems,
            ["line 4: more than 3 distinct values (captions, versions, domains...) in the file; \
              the values past it are left unknown"]
        );
        let os = |i: usize| inv.facts(&inv.machines[i]).os;
        assert_eq!(os(1).as_deref(), Some("Microsoft Windows 7 Enterprise"));
        assert_eq!(os(2).as_deref(), Some("Microsoft Windows XP Professional"));
        // The fourth value, PC-3's version, was not kept.
        assert_eq!(inv.machines[2].version, None);
    }
}
