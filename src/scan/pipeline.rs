//! The stages after the plan: discover → inventory → judge, each host on its
//! own task of the multi-threaded runtime, results handed over as they come.
//!
//! ```text
//! plan ─(bounded)→ sweep ─(bounded)→ inventory+judge ─(bounded)→ events
//!                    └── silent addresses ───────────────────────→ events
//! ```
//!
//! Every channel is bounded, so a slow writer slows the sweep instead of
//! piling results up in memory. Digest, XML parsing and the rules run inside
//! each host's task, so both cores work.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::sync::{mpsc, Notify, Semaphore};

use super::discover::{DiscoveryOptions, Sweeper, Swept};
use super::plan::Plan;
use super::target::{AMT_HTTPS_PORT, AMT_HTTP_PORT};
use crate::amt::tls::Discovered;
use crate::amt::{read_host_handed, AmtClient};
use crate::facts::{AmtFacts, CredentialFacts, FactSource, FactsRecord, HostStatus};
use crate::hostfacts::{HeldSilent, Inventory, Settled};
use crate::report::{Event, HostReport, SiteReport};
use crate::rules::checks::provisioning_password::password_problems;
use crate::rules::provisioning_cert::ProvisioningCert;
use crate::rules::Judge;
use crate::wsman::{Credentials, Endpoint};

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Without credentials only the unauthenticated probe runs.
    pub credentials: Option<Credentials>,
    /// Devices inventoried at the same time.
    pub concurrency: usize,
    /// Stop offering the credentials after this many devices in a row
    /// rejected them (0: never stop).
    pub auth_fail_limit: u32,
    /// The sweep; `None` reads every target directly (a list of known devices).
    pub discovery: Option<DiscoveryOptions>,
    /// Judge each record with these policies and the run's site facts (in
    /// the host's task); the site itself is judged once, by the caller.
    pub judge: Option<Arc<Judge>>,
    /// What was checked about the credentials (never the secret), added to
    /// every record that is judged.
    pub credential_facts: Option<CredentialFacts>,
    /// Host facts from an inventory export, joined to each device before
    /// it is judged (`--host-facts`).
    pub inventory: Option<Arc<Inventory>>,
    /// `--provisioning-cert`: checked against every device read.
    pub provisioning_cert: Option<Arc<ProvisioningCert>>,
    /// `--winrm`: read the host OS beside each device over WinRM.
    pub winrm: Option<Arc<crate::winrm::HostOptions>>,
    /// DNS as AMT and the service point use it (`None`: `--no-dns`).
    pub dns: Option<Arc<crate::dns::DnsChecker>>,
}

/// What the provisioning rules need to know of the credentials: the user and
/// which of Configuration Manager's password rules the password breaks. The
/// password itself goes no further than this function.
pub fn credential_facts(credentials: Option<&Credentials>) -> CredentialFacts {
    CredentialFacts {
        user: credentials.map(|c| c.user.clone()),
        password_given: credentials.is_some(),
        password_problems: credentials
            .map(|c| password_problems(c.password.expose()))
            .unwrap_or_default(),
    }
}

/// The events of a running scan ([`super::run`]); it ends with
/// [`Event::Finished`] once the last host is done. Dropping it stops the
/// scan (Ctrl-C).
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Event>,
    finished: bool,
    /// With `--host-facts`: the silent addresses of computers the export
    /// says have AMT, settled once every other host is done.
    dark: Option<DarkTail>,
}

/// The end of a scan with an inventory: the held silent addresses, then
/// what settling them gave, handed out one event at a time.
#[derive(Debug)]
struct DarkTail {
    inventory: Arc<Inventory>,
    held: Held,
    settled: Option<std::collections::VecDeque<HostReport>>,
}

/// Silent addresses of computers the export says have AMT, kept back until
/// the scan's end decides whether each computer is dark. Bounded by the
/// export: at most its AMT computers' addresses (64 each), a few hundred
/// bytes an address; no other address is held.
type Held = Arc<Mutex<Vec<HeldSilent<HostReport>>>>;

impl DarkTail {
    /// The next settled report; the first call settles them all (every
    /// sender is gone, so every address has been swept and read).
    fn next(&mut self) -> Option<HostReport> {
        let settled = self.settled.get_or_insert_with(|| {
            let held = std::mem::take(
                &mut *self
                    .held
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            self.inventory
                .settle_dark(held)
                .into_iter()
                .map(|s| match s {
                    // Not judged, as a silent address is not: there is no
                    // device fact to judge, and its status is never ready.
                    Settled::Dark(record) => HostReport {
                        facts: *record,
                        evaluation: None,
                    },
                    Settled::Kept(report) => report,
                })
                .collect()
        });
        settled.pop_front()
    }
}

impl Events {
    /// The next event; `None` after [`Event::Finished`].
    pub async fn next(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(None) => {
                if let Some(report) = self.dark.as_mut().and_then(DarkTail::next) {
                    return Poll::Ready(Some(Event::HostJudged(Box::new(report))));
                }
                self.finished = true;
                Poll::Ready(Some(Event::Finished))
            }
            other => other,
        }
    }
}

impl futures_util::Stream for Events {
    type Item = Event;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().poll_event(cx)
    }
}

/// Channel depths between stages: enough to keep the next stage busy,
/// small enough that memory follows the concurrency.
const STAGE_DEPTH: usize = 256;

/// Most addresses a host's WinRM read tries: an inventory row may list
/// every address a machine ever had, and each silent one costs a timeout.
const MAX_WINRM_ADDRESSES: usize = 3;

/// Most answered addresses waiting for an inventory slot.
const MAX_UNREAD: usize = 256;

/// Starts the scan on the current (multi-threaded) runtime: `site`, when
/// given, is the first event, then the hosts as they finish, then
/// [`Event::Finished`].
pub async fn run(
    client: AmtClient,
    plan: Arc<Plan>,
    options: PipelineOptions,
    site: Option<SiteReport>,
) -> Events {
    let (events, rx) = mpsc::channel(STAGE_DEPTH);
    if let Some(site) = site {
        let _ = events.send(Event::SiteJudged(Box::new(site))).await;
    }
    let held: Held = Arc::default();
    let host = Arc::new(HostStages::new(
        client,
        &options,
        events.clone(),
        Arc::clone(&held),
    ));
    let (found_tx, found_rx) = mpsc::channel::<Swept>(STAGE_DEPTH);

    // Names that did not resolve are hosts we cannot read: say so first.
    for u in plan.unresolved() {
        let mut record = FactsRecord::new(&u.label);
        record.status = Some(HostStatus::Error);
        record.error = Some(u.error.clone());
        let _ = events
            .send(Event::HostJudged(Box::new(host.judge(record))))
            .await;
    }

    let sweeper = match &options.discovery {
        Some(d) => Some(Arc::new(Sweeper::new(d.clone()).await)),
        None => None,
    };
    let watch = options
        .inventory
        .clone()
        .filter(|i| i.amt_machines() > 0)
        .map(|inventory| (inventory, Arc::clone(&held)));
    tokio::spawn(sweep_stage(
        plan,
        sweeper,
        found_tx,
        events.clone(),
        watch.clone(),
    ));
    tokio::spawn(inventory_stage(host, found_rx, events, options.concurrency));
    Events {
        rx,
        finished: false,
        dark: watch.map(|(inventory, held)| DarkTail {
            inventory,
            held,
            settled: None,
        }),
    }
}

async fn sweep_stage(
    plan: Arc<Plan>,
    sweeper: Option<Arc<Sweeper>>,
    found: mpsc::Sender<Swept>,
    events: mpsc::Sender<Event>,
    watch: Option<(Arc<Inventory>, Held)>,
) {
    let Some(sweeper) = sweeper else {
        for target in plan.targets() {
            let swept = Swept {
                open: vec![target.addr.port()],
                refused: Vec::new(),
                target,
                pong: None,
                local_error: None,
                preconnected: None,
            };
            if found.send(swept).await.is_err() {
                return;
            }
        }
        return;
    };
    let window = Arc::new(Semaphore::new(sweeper.opts.in_flight.max(1)));
    // Answers not yet taken by the inventory: without a bound, an all-live
    // range sweeps far ahead of the reads and every answered address waits
    // in memory (a /16 of devices read 64 at a time would hold 65,536).
    let unread = Arc::new(Semaphore::new(MAX_UNREAD));
    for target in plan.targets() {
        let Ok(permit) = Arc::clone(&window).acquire_owned().await else {
            return;
        };
        if found.is_closed() {
            return;
        }
        let (sweeper, found, events, unread, watch) = (
            Arc::clone(&sweeper),
            found.clone(),
            events.clone(),
            Arc::clone(&unread),
            watch.clone(),
        );
        tokio::spawn(async move {
            // Boxed so that its connect and timer state is freed once the
            // address is swept, and a task waiting for the inventory is small.
            let swept = Box::pin(sweeper.sweep(target)).await;
            let ip = swept.target.addr.ip();
            if let Some((inventory, _)) = &watch {
                if !swept.open.is_empty() || swept.pong.is_some() {
                    inventory.note_answered(ip);
                }
            }
            // A named address that stays silent goes on to be reported as
            // down: only what a block or range expands to is an empty address.
            if swept.is_silent() && !swept.target.named {
                let mut record = FactsRecord::new(&swept.target.label);
                record.status = Some(HostStatus::Silent);
                let report = HostReport {
                    facts: record,
                    evaluation: None,
                };
                // An address of a computer the inventory says has AMT waits
                // for the scan's end: dark if none of its addresses answer.
                if let Some((inventory, held)) = &watch {
                    if inventory.note_silent(ip) {
                        let rmcp = sweeper.opts.rmcp.then_some(sweeper.opts.rmcp_port);
                        let (ports, refused) = port_words(&swept, rmcp);
                        hold(held, ip, &swept.target.label, ports, refused, report);
                        drop(permit);
                        return;
                    }
                }
                // The slot is held until the writer has it: a slow writer
                // slows the sweep rather than piling up silent results.
                let _ = events.send(Event::HostJudged(Box::new(report))).await;
                drop(permit);
            } else {
                // An answer keeps its sweep slot until there is room for it
                // among the unread, so a sweep that has run too far ahead of
                // the inventory pauses.
                let waiting = unread.acquire_owned().await;
                drop(permit);
                let _ = found.send(swept).await;
                drop(waiting);
            }
        });
    }
}

/// What each host's task needs, shared once per scan: the stages
/// [`read`](HostStages::read) → [`enrich`](HostStages::enrich) →
/// [`judge`](HostStages::judge) each take the record and hand it on.
struct HostStages {
    client: AmtClient,
    credentials: Option<Credentials>,
    /// AMT logins.
    gate: AuthGate,
    /// WinRM logins are counted apart from AMT's: a wrong Windows password
    /// must stop being offered after the same number of hosts in a row.
    winrm_gate: AuthGate,
    /// The RMCP port pinged, for a down host's record.
    rmcp_port: Option<u16>,
    judge: Option<Arc<Judge>>,
    credential_facts: Option<CredentialFacts>,
    provisioning_cert: Option<Arc<ProvisioningCert>>,
    inventory: Option<Arc<Inventory>>,
    winrm: Option<Arc<crate::winrm::HostOptions>>,
    dns: Option<Arc<crate::dns::DnsChecker>>,
    /// For the auth-limit notice, sent when a read trips it.
    events: mpsc::Sender<Event>,
    /// Named targets that answered nothing, of computers the inventory
    /// says have AMT: settled at the scan's end.
    held: Held,
}

impl HostStages {
    fn new(
        client: AmtClient,
        options: &PipelineOptions,
        events: mpsc::Sender<Event>,
        held: Held,
    ) -> Self {
        Self {
            client,
            credentials: options.credentials.clone(),
            gate: AuthGate::new(options.auth_fail_limit),
            winrm_gate: AuthGate::new(options.auth_fail_limit),
            rmcp_port: options
                .discovery
                .as_ref()
                .and_then(|d| d.rmcp.then_some(d.rmcp_port)),
            judge: options.judge.clone(),
            credential_facts: options.credential_facts.clone(),
            provisioning_cert: options.provisioning_cert.clone(),
            inventory: options.inventory.clone(),
            winrm: options.winrm.clone(),
            dns: options.dns.clone(),
            events,
            held,
        }
    }

    /// Read: the device over AMT (probe, then the inventory with the
    /// credentials when the gate allows), or the record of a named target
    /// that answered nothing.
    async fn read(&self, swept: Swept) -> FactsRecord {
        if swept.is_silent() {
            return down_record(&swept, self.rmcp_port);
        }
        // Boxed: laid out inline, the read made every host's task 4.6 KiB
        // for its whole life, the time its report waits for the writer
        // included (docs/performance.md).
        Box::pin(read_one(
            &self.client,
            swept,
            self.credentials.as_ref(),
            &self.gate,
            &self.events,
        ))
        .await
    }

    /// Enrich: what is known of the machine beside AMT, the Windows host
    /// over WinRM (`--winrm`), its inventory export row (`--host-facts`),
    /// and what DNS answers for its names (the provisioning server name with
    /// its suffix, its FQDN, its address in reverse). A machine that
    /// answered nothing at all is not asked again: its record already says
    /// it is down.
    async fn enrich(&self, mut record: FactsRecord, ip: IpAddr, down: bool) -> FactsRecord {
        if let Some(winrm) = &self.winrm {
            if record.status != Some(HostStatus::NotAmt) && !down {
                // The host OS shares AMT's address on most machines; where
                // AMT has an address of its own, the joined row has the
                // host's.
                let mut at = vec![ip];
                if let Some(machine) = self
                    .inventory
                    .as_ref()
                    .and_then(|i| i.find(&record, Some(ip)))
                {
                    for a in machine.addresses() {
                        if !at.contains(a) && at.len() < MAX_WINRM_ADDRESSES {
                            at.push(*a);
                        }
                    }
                }
                Box::pin(read_windows(
                    &self.client,
                    &mut record,
                    &at,
                    winrm,
                    &self.winrm_gate,
                ))
                .await;
            }
        }
        if let Some(inventory) = &self.inventory {
            if record.status != Some(HostStatus::NotAmt) {
                inventory.apply(&mut record, Some(ip));
            }
        }
        if let Some(dns) = &self.dns {
            // After the inventory row: it may name what the device did not.
            if record.status != Some(HostStatus::NotAmt) && !down {
                record.dns = Box::pin(dns.facts(&record, ip)).await;
            }
        }
        record
    }

    /// Judge: the policies with the run's site, and `--provisioning-cert`.
    /// A device that could not be read has nothing to judge beyond what the
    /// rules say about missing facts; they still run, so the verdict is
    /// `unknown` rather than absent. A silent address is not judged.
    fn judge(&self, mut facts: FactsRecord) -> HostReport {
        let evaluation = match facts.status {
            Some(HostStatus::Silent) => None,
            _ => {
                facts.credentials = self.credential_facts.clone();
                let mut evaluation = self.judge.as_ref().map(|j| j.judge_host(&facts));
                if let (Some(cert), Some(evaluation)) =
                    (self.provisioning_cert.as_deref(), evaluation.as_mut())
                {
                    cert.judge(&facts, evaluation);
                }
                evaluation
            }
        };
        HostReport { facts, evaluation }
    }
}

async fn inventory_stage(
    host: Arc<HostStages>,
    mut found: mpsc::Receiver<Swept>,
    events: mpsc::Sender<Event>,
    concurrency: usize,
) {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    while let Some(swept) = found.recv().await {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        if events.send(Event::HostStarted).await.is_err() {
            return;
        }
        let (host, events) = (Arc::clone(&host), events.clone());
        tokio::spawn(async move {
            let ip = swept.target.addr.ip();
            let down = swept.is_silent();
            let words = down.then(|| {
                (
                    port_words(&swept, host.rmcp_port),
                    swept.target.label.clone(),
                )
            });
            let record = host.read(swept).await;
            let record = host.enrich(record, ip, down).await;
            // The slot is for the network; judging is CPU alone.
            drop(permit);
            let report = host.judge(record);
            if let (Some(((ports, refused), label)), Some(inventory)) = (words, &host.inventory) {
                if inventory.note_silent(ip) {
                    hold(&host.held, ip, &label, ports, refused, report);
                    return;
                }
            }
            let _ = events.send(Event::HostJudged(Box::new(report))).await;
        });
    }
}

/// The record of an address the user named that answered nothing: which
/// ports refused and which stayed silent, so the admin can tell a machine
/// that is off from a firewall.
fn down_record(swept: &Swept, rmcp_port: Option<u16>) -> FactsRecord {
    let (words, _) = port_words(swept, rmcp_port);
    let mut record = FactsRecord::new(&swept.target.label);
    record.status = Some(HostStatus::Unreachable);
    record.error = Some(format!("named target is down or filtered: {words}"));
    record
}

/// What the sweep saw of an address that answered nothing, in words
/// (`TCP 16992 refused, TCP 16993 no answer, no RMCP pong on UDP 623`), and
/// whether a port refused (the host's own stack answered: it is on).
fn port_words(swept: &Swept, rmcp_port: Option<u16>) -> (String, bool) {
    let target = &swept.target;
    let ports = if target.port_given {
        vec![target.addr.port()]
    } else {
        vec![AMT_HTTP_PORT, AMT_HTTPS_PORT]
    };
    let mut parts: Vec<String> = ports
        .iter()
        .map(|p| {
            if swept.refused.contains(p) {
                format!("TCP {p} refused")
            } else {
                format!("TCP {p} no answer")
            }
        })
        .collect();
    if let Some(port) = rmcp_port {
        parts.push(format!("no RMCP pong on UDP {port}"));
    }
    let refused = ports.iter().any(|p| swept.refused.contains(p));
    (parts.join(", "), refused)
}

/// Keeps a silent address's report back for the scan's end.
fn hold(held: &Held, ip: IpAddr, label: &str, ports: String, refused: bool, report: HostReport) {
    let mut held = held
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    held.push(HeldSilent {
        ip,
        label: label.to_string(),
        ports,
        refused,
        held: report,
    });
}

/// Reads the Windows beside a device over WinRM, on the scanned address or
/// its inventory row's, then (when asked) at the host OS name AMT reports,
/// within the device's slot. Past the auth-fail limit the credentials are
/// not offered and the record says so.
async fn read_windows(
    client: &AmtClient,
    record: &mut FactsRecord,
    at: &[std::net::IpAddr],
    opts: &crate::winrm::HostOptions,
    gate: &AuthGate,
) {
    use crate::winrm::{self, HostError};
    let host_os_name = record.amt.as_ref().and_then(|a| a.host_os_fqdn.clone());
    let host = record.host.get_or_insert_with(Default::default);
    match gate.enter().await {
        Ticket::Skip => host.unread.push(format!(
            "winrm: credentials not tried: the first {} hosts in a row rejected them, so check them (--auth-fail-limit {})",
            gate.limit, gate.limit
        )),
        Ticket::Try => {
            let outcome =
                winrm::read_host(client.host_transport(), at, host_os_name.as_deref(), opts).await;
            // The gate counts logins: a host that let us in opens it, one that
            // rejected us counts, one that never answered says nothing.
            gate.leave(match &outcome {
                Ok(_) => Some(HostStatus::Ok),
                Err(HostError::AuthFailed(_)) => Some(HostStatus::AuthFailed),
                Err(HostError::NoListener(_) | HostError::Other(_)) => None,
            });
            winrm::apply(host, &outcome);
        }
    }
}

/// Reads one device that answered the sweep.
async fn read_one(
    client: &AmtClient,
    swept: Swept,
    credentials: Option<&Credentials>,
    gate: &AuthGate,
    events: &mpsc::Sender<Event>,
) -> FactsRecord {
    let Swept {
        target,
        open,
        refused,
        pong,
        local_error,
        preconnected,
    } = swept;
    if let Some(error) = local_error {
        let mut record = FactsRecord::new(&target.label);
        record.status = Some(HostStatus::Error);
        record.error = Some(error);
        return record;
    }
    if open.is_empty() {
        // It answered the RMCP ping only: AMT is there (maybe not set up),
        // but nothing can be read over TCP.
        let mut record = FactsRecord::new(&target.label);
        record.status = Some(HostStatus::Unreachable);
        record.error = Some(
            "answers the RMCP presence ping but not on TCP 16992/16993 (not set up, or filtered)"
                .into(),
        );
        let mut facts = AmtFacts::default();
        add_pong(&mut facts, pong.as_ref());
        record.amt = Some(facts);
        return record;
    }
    // The target's own port; which port and scheme are read follows --tls,
    // told what the sweep saw (16993 alone open means TLS).
    let endpoint = Endpoint::http(target.addr.ip().to_string(), target.addr.port());
    let seen = |p: u16| (!target.port_given).then(|| open.contains(&p));
    let discovered = Discovered {
        plain_open: seen(AMT_HTTP_PORT),
        tls_open: seen(AMT_HTTPS_PORT),
        tls_refused: !target.port_given && refused.contains(&AMT_HTTPS_PORT),
        legacy_evidence: pong.as_ref().and_then(super::rmcp::Pong::legacy_evidence),
    };
    // The sweep's connection serves the first request; only the first read
    // below gets it, a second (credentials not tried) connects anew.
    let preconnected = std::sync::Mutex::new(preconnected);
    let read = |creds| {
        let handed = preconnected
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        read_host_handed(client, &endpoint, creds, &target.label, &discovered, handed)
    };
    let mut record = match credentials {
        None => read(None).await,
        Some(creds) => match gate.enter().await {
            Ticket::Try => {
                let record = read(Some(creds)).await;
                if gate.leave(record.status) {
                    let _ = events
                        .send(Event::AuthLimitReached { limit: gate.limit })
                        .await;
                }
                record
            }
            Ticket::Skip => {
                let mut record = read(None).await;
                if record.status == Some(HostStatus::Ok) {
                    // Never offered the credentials, so nothing says this
                    // device would refuse them: not Detected, but unknown.
                    record.status = Some(HostStatus::NotTried);
                    record.error = Some(format!(
                        "credentials not tried: the first {} devices in a row rejected them, \
                         so check them (--auth-fail-limit {}); only the unauthenticated probe ran",
                        gate.limit, gate.limit
                    ));
                }
                record
            }
        },
    };
    if pong.is_some() {
        add_pong(
            record.amt.get_or_insert_with(AmtFacts::default),
            pong.as_ref(),
        );
    }
    record
}

/// Records the pong, and fills the version and provisioning state from it
/// when no stronger source gave them.
fn add_pong(facts: &mut AmtFacts, pong: Option<&super::rmcp::Pong>) {
    let Some(pong) = pong else { return };
    let rmcp = pong.facts();
    if facts.version.is_none() {
        if let Some(v) = &rmcp.version {
            facts.version = Some(v.as_str().into());
            facts.source = Some(FactSource::Rmcp);
            facts.sources.insert("version".into(), FactSource::Rmcp);
        }
    }
    if facts.provisioning_state.is_none() {
        if let Some(state) = rmcp.provisioning_state {
            facts.provisioning_state = Some(state);
            facts
                .sources
                .insert("provisioning_state".into(), FactSource::Rmcp);
        }
    }
    facts.rmcp = Some(rmcp);
}

/// One credential try per device, and no more than `limit` devices in a row
/// rejecting them. Until a device has accepted the credentials, no more tries
/// are in flight than the limit leaves room for, so a mistyped password costs
/// exactly `limit` failed logins however high the concurrency.
#[derive(Debug)]
pub(crate) struct AuthGate {
    limit: u32,
    state: Mutex<GateState>,
    changed: Notify,
    stopped: AtomicBool,
}

#[derive(Debug, Default)]
struct GateState {
    accepted: bool,
    rejected_in_a_row: u32,
    in_flight: u32,
}

/// Whether a device may be offered the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ticket {
    Try,
    Skip,
}

impl AuthGate {
    pub(crate) fn new(limit: u32) -> Self {
        Self {
            limit,
            state: Mutex::new(GateState::default()),
            changed: Notify::new(),
            stopped: AtomicBool::new(false),
        }
    }

    pub(crate) async fn enter(&self) -> Ticket {
        if self.limit == 0 {
            return Ticket::Try;
        }
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let Ok(mut s) = self.state.lock() else {
                    return Ticket::Skip;
                };
                if self.stopped.load(Ordering::Relaxed) {
                    return Ticket::Skip;
                }
                if s.accepted || s.rejected_in_a_row + s.in_flight < self.limit {
                    s.in_flight += 1;
                    return Ticket::Try;
                }
            }
            notified.await;
        }
    }

    /// Records a try's outcome; true when this one reached the limit.
    pub(crate) fn leave(&self, status: Option<HostStatus>) -> bool {
        if self.limit == 0 {
            return false;
        }
        let mut tripped = false;
        if let Ok(mut s) = self.state.lock() {
            s.in_flight = s.in_flight.saturating_sub(1);
            match status {
                Some(HostStatus::AuthFailed) => {
                    s.rejected_in_a_row += 1;
                    if s.rejected_in_a_row >= self.limit
                        && !self.stopped.swap(true, Ordering::Relaxed)
                    {
                        tripped = true;
                    }
                }
                // Read with the credentials (an error after login still
                // means they were accepted).
                Some(HostStatus::Ok) => {
                    s.accepted = true;
                    s.rejected_in_a_row = 0;
                }
                _ => {}
            }
        }
        self.changed.notify_waiters();
        tripped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_events_end_with_finished_once() {
        let (tx, rx) = mpsc::channel(4);
        let mut events = Events {
            rx,
            finished: false,
            dark: None,
        };
        tx.send(Event::HostStarted).await.unwrap();
        drop(tx);
        assert!(matches!(events.next().await, Some(Event::HostStarted)));
        assert!(matches!(events.next().await, Some(Event::Finished)));
        assert!(events.next().await.is_none());
        assert!(events.next().await.is_none());
    }

    #[tokio::test]
    async fn the_gate_lets_exactly_the_limit_fail_before_any_success() {
        let gate = Arc::new(AuthGate::new(3));
        let mut tries = 0;
        let mut handles = Vec::new();
        for _ in 0..20 {
            let gate = Arc::clone(&gate);
            handles.push(tokio::spawn(async move {
                match gate.enter().await {
                    Ticket::Try => {
                        tokio::task::yield_now().await;
                        gate.leave(Some(HostStatus::AuthFailed));
                        1
                    }
                    Ticket::Skip => 0,
                }
            }));
        }
        for h in handles {
            tries += h.await.unwrap();
        }
        assert_eq!(tries, 3);
    }

    #[tokio::test]
    async fn a_success_opens_the_gate_and_resets_the_count() {
        let gate = AuthGate::new(2);
        assert_eq!(gate.enter().await, Ticket::Try);
        gate.leave(Some(HostStatus::Ok));
        for _ in 0..10 {
            assert_eq!(gate.enter().await, Ticket::Try);
        }
        for _ in 0..10 {
            gate.leave(Some(HostStatus::Ok));
        }
        assert_eq!(gate.enter().await, Ticket::Try);
        assert!(!gate.leave(Some(HostStatus::AuthFailed)));
        assert_eq!(gate.enter().await, Ticket::Try);
        assert!(gate.leave(Some(HostStatus::AuthFailed)));
        assert_eq!(gate.enter().await, Ticket::Skip);
    }
}
