//! The provisioning path's DNS checks end to end: a real authoritative DNS
//! server (hickory-server, in process) and a mixed mock fleet on loopback,
//! inside a private network namespace, so no query can leave the machine.
//! Every scan names the loopback server with `--dns-server`.
//!
//! The zones hold, on purpose: the right ProvisionServer record
//! (`corp.example.com`), one pointing at another computer
//! (`wrong.example.com`), none at all (`missing.example.com`), a host record
//! that is right, one that is stale (forward and reverse disagree with the
//! device), and one that is missing. Each PATH-* finding must appear exactly
//! where the zone makes it true; `validate` of the saved scan, with the DNS
//! server gone, must give the same findings; and a scan whose DNS server does
//! not answer must leave the facts unknown, never passed.
//!
//! Each test re-runs itself inside `unshare -n` (root, as CI runs). Without
//! `unshare` it skips loudly, and fails when `AMTREADY_REQUIRE_PEERS=1`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use hickory_server::net::runtime::Time;
use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use hickory_server::Server;
use mock_amt::{start_fleet, DeviceConfig, Profile};
use serde_json::Value;

use crate::common::netns::{self, Needs};
use crate::common::{records, PASSWORD_VAR};

/// Outside the namespace: re-runs `test` inside a new one and returns false.
/// Inside: returns true, with loopback up and the fleet's addresses on it.
///
/// The devices are not on 127.0.0.0/8: a resolver answers the reverse
/// lookup of a loopback address itself (`localhost`, RFC 6761), without
/// asking the server, so their PTR records could not be tested there.
fn enter_netns(test: &str) -> bool {
    let needs = [Needs {
        probe: &["ip", "link", "set", "lo", "up"],
        why: "`unshare -n` with `ip` is not available (needs root or user namespaces)",
    }];
    netns::enter(module_path!(), test, &needs, || {
        for d in FLEET {
            let added = Command::new("ip")
                .args([
                    "addr",
                    "add",
                    &format!("{}/32", address(d.octet)),
                    "dev",
                    "lo",
                ])
                .status();
            assert!(added.is_ok_and(|s| s.success()), "ip addr add on lo");
        }
    })
}

/// The service point, and where the wrong ProvisionServer record points.
const SERVICE_POINT: &str = "10.77.1.250";
const ROGUE: &str = "10.77.1.66";

const CORP: &str = "
@ 3600 IN SOA ns.corp.example.com. hostmaster.corp.example.com. 1 3600 600 86400 60
@ 3600 IN NS ns
ns 3600 IN A 127.0.0.1
oobsp 3600 IN A 10.77.1.250
ProvisionServer 3600 IN CNAME oobsp
amt-good 3600 IN A 10.77.1.1
amt-stale 3600 IN A 10.77.1.99
amt-post 3600 IN A 10.77.1.4
amt-pki 3600 IN A 10.77.1.5
amt-renamed 3600 IN A 10.77.1.6
amt-oldname 3600 IN A 10.77.1.60
";

const WRONG: &str = "
@ 3600 IN SOA ns.wrong.example.com. hostmaster.wrong.example.com. 1 3600 600 86400 60
@ 3600 IN NS ns.corp.example.com.
ProvisionServer 3600 IN A 10.77.1.66
";

const MISSING: &str = "
@ 3600 IN SOA ns.missing.example.com. hostmaster.missing.example.com. 1 3600 600 86400 60
@ 3600 IN NS ns.corp.example.com.
";

/// 10.77.1.2's reverse record still names the computer that had the address.
const REVERSE: &str = "
@ 3600 IN SOA ns.corp.example.com. hostmaster.corp.example.com. 1 3600 600 86400 60
@ 3600 IN NS ns.corp.example.com.
1 3600 IN PTR amt-good.corp.example.com.
2 3600 IN PTR old-pc.corp.example.com.
4 3600 IN PTR amt-post.corp.example.com.
";

/// The questions the server was asked (`name TYPE`), counted.
type Asked = Arc<std::sync::Mutex<BTreeMap<String, usize>>>;

/// The zones, counting every question before answering it.
struct Counting {
    catalog: Catalog,
    asked: Asked,
}

#[async_trait::async_trait]
impl RequestHandler for Counting {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        if let Ok(info) = request.request_info() {
            let key = format!("{} {}", info.query.name(), info.query.query_type());
            *self.asked.lock().unwrap().entry(key).or_default() += 1;
        }
        self.catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

/// An authoritative server for the zones on 127.0.0.1, UDP and TCP on one
/// port; its address, the questions it gets, and the server (dropping it
/// does not stop it: call `shutdown_gracefully`).
async fn dns_server() -> (SocketAddr, Asked, Server<Counting>) {
    let mut catalog = Catalog::new();
    for (origin, text) in [
        ("corp.example.com.", CORP),
        ("wrong.example.com.", WRONG),
        ("missing.example.com.", MISSING),
        ("1.77.10.in-addr.arpa.", REVERSE),
    ] {
        let origin = Name::from_ascii(origin).unwrap();
        let (origin, records) = Parser::new(text, None, Some(origin))
            .parse()
            .expect("the test zone parses");
        let zone: InMemoryZoneHandler =
            InMemoryZoneHandler::new(origin.clone(), records, ZoneType::Primary, AxfrPolicy::Deny)
                .expect("the test zone loads");
        let handlers: Vec<Arc<dyn ZoneHandler>> = vec![Arc::new(zone)];
        catalog.upsert(LowerName::new(&origin), handlers);
    }
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
    let asked = Asked::default();
    let mut server = Server::new(Counting {
        catalog,
        asked: Arc::clone(&asked),
    });
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 65_535);
    (addr, asked, server)
}

/// One device: its address's last octet, profile, names and suffixes.
struct Device {
    octet: u8,
    profile: &'static str,
    hostname: &'static str,
    dhcp_suffix: Option<&'static str>,
    pki_suffix: Option<&'static str>,
    /// The names its TLS certificate carries (empty: its FQDN).
    certificate_names: &'static [&'static str],
    /// The PATH-* rules that must fire, sorted.
    expect: &'static [&'static str],
}

const FLEET: &[Device] = &[
    // Everything right: ProvisionServer (a CNAME) reaches the service point,
    // the host record and the reverse record name the device.
    Device {
        octet: 1,
        profile: "amt-11.8",
        hostname: "amt-good",
        dhcp_suffix: Some("corp.example.com"),
        pki_suffix: None,
        certificate_names: &[],
        expect: &[],
    },
    // ProvisionServer in its suffix's zone points elsewhere; its host record
    // holds an old address and its address's PTR names another computer.
    Device {
        octet: 2,
        profile: "amt-11.8",
        hostname: "amt-stale",
        dhcp_suffix: Some("wrong.example.com"),
        pki_suffix: None,
        certificate_names: &[],
        expect: &["PATH-AMT-FQDN", "PATH-AMT-REVERSE", "PATH-PROVISION-SERVER"],
    },
    // No ProvisionServer in its suffix's zone, no host record, no PTR.
    Device {
        octet: 3,
        profile: "amt-11.8",
        hostname: "amt-nohost",
        dhcp_suffix: Some("missing.example.com"),
        pki_suffix: None,
        certificate_names: &[],
        expect: &["PATH-AMT-FQDN", "PATH-PROVISION-SERVER"],
    },
    // Provisioned: AMT no longer looks for ProvisionServer, so neither do we;
    // its wrong suffix is not judged.
    Device {
        octet: 4,
        profile: "amt-7.1",
        hostname: "amt-post",
        dhcp_suffix: Some("wrong.example.com"),
        pki_suffix: None,
        certificate_names: &[],
        expect: &[],
    },
    // The PKI DNS suffix wins over DHCP's, as in AMT: the right zone.
    Device {
        octet: 5,
        profile: "amt-11.8",
        hostname: "amt-pki",
        dhcp_suffix: Some("wrong.example.com"),
        pki_suffix: Some("corp.example.com"),
        certificate_names: &[],
        expect: &[],
    },
    // TLS only (AMT 16), its certificate issued before a rename: the old
    // name's record now leads elsewhere.
    Device {
        octet: 6,
        profile: "amt-16.1",
        hostname: "amt-renamed",
        dhcp_suffix: None,
        pki_suffix: None,
        certificate_names: &["amt-oldname.corp.example.com"],
        expect: &["PATH-AMT-CERT-DNS"],
    },
];

fn address(octet: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 77, 1, octet)
}

async fn start_devices() -> mock_amt::Fleet {
    let configs = FLEET
        .iter()
        .map(|d| {
            let mut profile = Profile::builtin(d.profile).unwrap();
            profile.hostname = d.hostname.into();
            profile.domain = "corp.example.com".into();
            profile.dhcp_dns_suffix = d.dhcp_suffix.map(String::from);
            profile.trusted_dns_suffix = d.pki_suffix.map(String::from);
            let mut config =
                DeviceConfig::new(profile, SocketAddr::new(address(d.octet).into(), 16992));
            // On the private namespace's loopback interface: nothing outside sees it.
            config.allow_non_loopback = true;
            config.certificate_names = d.certificate_names.iter().map(|n| n.to_string()).collect();
            config
        })
        .collect();
    start_fleet(configs).await.expect("the fleet starts")
}

fn amtready(args: Vec<String>) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amtready"))
        .args(&args)
        .env_remove("AMTREADY_LOG")
        .env_remove("AMTREADY_NO_DNS")
        .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
        .output()
        .expect("amtready runs")
}

/// The mock fleet's CA, for the TLS device, in `dir`.
fn write_ca(dir: &std::path::Path) -> String {
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, mock_amt::test_pki().unwrap().ca_pem()).unwrap();
    ca.to_str().unwrap().to_string()
}

fn scan_args(dns: SocketAddr, site: &str, ca: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec!["scan".into()];
    args.extend(FLEET.iter().map(|d| address(d.octet).to_string()));
    args.extend(
        [
            "--format",
            "jsonl",
            "--password-env",
            PASSWORD_VAR,
            "--rmcp",
            "off",
            "--ca",
            ca,
            "--no-progress",
            "--dns-server",
            &dns.to_string(),
            "--site",
            site,
        ]
        .map(String::from),
    );
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Each host record's PATH-* rule ids, by address.
fn path_findings(out: &Output) -> BTreeMap<String, Vec<String>> {
    records(out)
        .iter()
        .filter(|r| r["kind"] != "site")
        .map(|r| {
            let target = r["target"].as_str().unwrap();
            let ip = target.split(':').next().unwrap().to_string();
            let mut rules: Vec<String> = r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["rule"].as_str())
                .filter(|rule| rule.starts_with("PATH-"))
                .map(String::from)
                .collect();
            rules.sort();
            (ip, rules)
        })
        .collect()
}

fn expected() -> BTreeMap<String, Vec<String>> {
    FLEET
        .iter()
        .map(|d| {
            (
                address(d.octet).to_string(),
                d.expect.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect()
}

fn by_ip(out: &Output) -> BTreeMap<String, Value> {
    records(out)
        .into_iter()
        .filter(|r| r["kind"] != "site")
        .map(|r| {
            let ip = r["target"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_string();
            (ip, r)
        })
        .collect()
}

fn message(record: &Value, rule: &str) -> String {
    record["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["rule"] == rule)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, unshare -n and ip: CI runs it"]
async fn each_path_finding_is_where_the_zone_makes_it_true_and_validate_agrees_without_dns() {
    const NAME: &str =
        "each_path_finding_is_where_the_zone_makes_it_true_and_validate_agrees_without_dns";
    if !enter_netns(NAME) {
        return;
    }
    let (dns, asked, mut server) = dns_server().await;
    let fleet = start_devices().await;
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.toml");
    std::fs::write(
        &site,
        "provision_server_name = \"ProvisionServer\"\nservice_point_fqdn = \"oobsp.corp.example.com\"\n",
    )
    .unwrap();
    let site = site.to_str().unwrap().to_string();
    let saved = dir.path().join("saved.jsonl");
    let saved = saved.to_str().unwrap().to_string();

    let ca = write_ca(dir.path());
    let args = scan_args(dns, &site, &ca, &["--output", &saved]);
    let out = tokio::task::spawn_blocking(move || amtready(args))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(path_findings(&out), expected(), "{stderr}");

    let recs = by_ip(&out);
    for d in FLEET {
        let r = &recs[&address(d.octet).to_string()];
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(
            r["dns"]["resolver"],
            dns.to_string(),
            "the source is recorded: {r}"
        );
        assert!(
            r["dns"]["at"].as_str().is_some_and(|at| at.ends_with('Z')),
            "{r}"
        );
        assert!(
            !r["missing"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|m| m.as_str().is_some_and(|m| m.starts_with("dns."))),
            "every DNS fact was obtained: {r}"
        );
    }
    let good = &recs["10.77.1.1"];
    assert_eq!(
        good["dns"]["provision_server"]["name"],
        "ProvisionServer.corp.example.com"
    );
    assert_eq!(
        good["dns"]["provision_server"]["addresses"][0],
        SERVICE_POINT
    );
    assert_eq!(good["dns"]["service_point"]["addresses"][0], SERVICE_POINT);
    assert_eq!(
        good["dns"]["reverse"]["names"][0],
        "amt-good.corp.example.com"
    );
    let stale = &recs["10.77.1.2"];
    let wrong = message(stale, "PATH-PROVISION-SERVER");
    assert!(
        wrong.contains(&format!("resolves elsewhere: {ROGUE}")) && wrong.contains("DHCP option 15"),
        "{wrong}"
    );
    assert!(message(stale, "PATH-AMT-FQDN").contains("resolves elsewhere: 10.77.1.99"));
    assert!(message(stale, "PATH-AMT-REVERSE").contains("old-pc.corp.example.com"));
    let missing = &recs["10.77.1.3"];
    let nothing = message(missing, "PATH-PROVISION-SERVER");
    assert!(
        nothing.contains("ProvisionServer.missing.example.com")
            && nothing.contains("does not resolve"),
        "{nothing}"
    );
    assert!(message(missing, "PATH-AMT-FQDN").contains("does not resolve"));
    assert!(
        recs["10.77.1.4"]["dns"]["provision_server"].is_null(),
        "a provisioned device is not asked for"
    );
    assert_eq!(
        recs["10.77.1.5"]["dns"]["provision_server"]["suffix_from"],
        "amt.trusted_dns_suffix"
    );
    let renamed = &recs["10.77.1.6"];
    assert_eq!(
        renamed["amt"]["scheme"], "https",
        "read over TLS: {renamed}"
    );
    assert!(
        message(renamed, "PATH-AMT-CERT-DNS")
            .contains("amt-oldname.corp.example.com resolves elsewhere: 10.77.1.60, not 10.77.1.6"),
        "{renamed}"
    );

    // Each distinct name once per run: two devices complete ProvisionServer
    // with corp.example.com, and the service point is resolved before any.
    let asked = asked.lock().unwrap().clone();
    for question in [
        "provisionserver.corp.example.com. A",
        "provisionserver.wrong.example.com. A",
        "oobsp.corp.example.com. A",
    ] {
        assert_eq!(asked.get(question), Some(&1), "{question}: {asked:?}");
    }

    // The saved scan judged again with the DNS server gone: the same findings.
    server.shutdown_gracefully().await.unwrap();
    fleet.shutdown().await;
    let args: Vec<String> = ["validate", &saved, "--format", "jsonl"]
        .map(String::from)
        .to_vec();
    let again = tokio::task::spawn_blocking(move || amtready(args))
        .await
        .unwrap();
    assert_eq!(
        path_findings(&again),
        expected(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // The policy is switched off as any other: by naming the ones wanted.
    let args: Vec<String> = [
        "validate",
        &saved,
        "--format",
        "jsonl",
        "--policy",
        "configmgr-2007-sp1",
        "--policy",
        "configmgr-2007-sp1-provisioning",
    ]
    .map(String::from)
    .to_vec();
    let without = tokio::task::spawn_blocking(move || amtready(args))
        .await
        .unwrap();
    let none: BTreeMap<String, Vec<String>> =
        expected().into_keys().map(|ip| (ip, Vec::new())).collect();
    assert_eq!(path_findings(&without), none);
    assert!(
        !String::from_utf8_lossy(&without.stdout).contains("PATH-"),
        "not even listed as not checked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, unshare -n and ip: CI runs it"]
async fn a_dns_server_that_does_not_answer_leaves_the_facts_unknown_never_passed() {
    const NAME: &str = "a_dns_server_that_does_not_answer_leaves_the_facts_unknown_never_passed";
    if !enter_netns(NAME) {
        return;
    }
    let fleet = start_devices().await;
    // A port nothing listens on: every query is refused at once.
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.toml");
    std::fs::write(&site, "service_point_addresses = [\"10.77.1.250\"]\n").unwrap();
    let site = site.to_str().unwrap().to_string();
    let ca = write_ca(dir.path());
    let args = scan_args(dead_addr, &site, &ca, &["--dns-timeout", "1"]);
    let out = tokio::task::spawn_blocking(move || amtready(args))
        .await
        .unwrap();
    fleet.shutdown().await;
    let recs = by_ip(&out);
    assert_eq!(
        recs.len(),
        FLEET.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (ip, r) in &recs {
        let findings = path_findings(&out);
        assert!(
            findings[ip].is_empty(),
            "no PATH finding without an answer: {r}"
        );
        let missing: Vec<&str> = r["missing"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str())
            .collect();
        assert!(
            missing.iter().any(|m| m.starts_with("dns.amt_fqdn (")),
            "{ip}: the FQDN's record is unknown: {r}"
        );
        if ip != "10.77.1.4" && ip != "10.77.1.6" {
            assert!(
                missing
                    .iter()
                    .any(|m| m.starts_with("dns.provision_server (")),
                "{ip}: the provisioning server's record is unknown: {r}"
            );
        }
        assert_ne!(
            r["verdict"], "ready",
            "{ip}: unknown DNS is never ready: {r}"
        );
    }
    assert_ne!(out.status.code(), Some(0));
}
