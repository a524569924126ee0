//! Property tests of the rules engine: version order, OS normalisation on
//! arbitrary input, partial facts, and monotonicity when facts are removed.

use amtready::facts::{AmtFacts, FactsRecord, HostFacts, SiteFacts};
use amtready::os::{parse_service_pack, Arch};
use amtready::rules::{parse_os, Policy, Verdict, Version};
use amtready::rules::{parse_sql, parse_upgrade_source, Release};
use proptest::prelude::*;

fn version_parts() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(prop_oneof![0u32..20, any::<u32>()], 2..=4)
}

fn to_version(parts: &[u32]) -> Version {
    let text: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    text.join(".")
        .parse()
        .expect("2 to 4 numeric parts always parse")
}

fn padded(parts: &[u32]) -> [u32; 4] {
    let mut out = [0; 4];
    for (slot, part) in out.iter_mut().zip(parts) {
        *slot = *part;
    }
    out
}

proptest! {
    #[test]
    fn version_order_is_total_and_numeric(a in version_parts(), b in version_parts(), c in version_parts()) {
        let (va, vb, vc) = (to_version(&a), to_version(&b), to_version(&c));
        // Antisymmetric and consistent with Eq.
        prop_assert_eq!(va.cmp(&vb), vb.cmp(&va).reverse());
        prop_assert_eq!(va.cmp(&vb) == std::cmp::Ordering::Equal, va == vb);
        // Transitive.
        if va <= vb && vb <= vc {
            prop_assert!(va <= vc);
        }
        // Numeric part by part (missing parts are 0), never lexical.
        if padded(&a) != padded(&b) {
            prop_assert_eq!(va.cmp(&vb), padded(&a).cmp(&padded(&b)));
        }
        // Display round-trips.
        prop_assert_eq!(va.to_string().parse::<Version>().unwrap(), va);
    }

    #[test]
    fn parsers_never_panic(s in ".{0,200}", t in "\\PC{0,40}", u in "[ -~]{0,40}") {
        let _ = parse_os(&s, Some(&t), Some(&u), Some(&s));
        let _ = parse_os(&u, None, None, None);
        let _ = parse_sql(&s);
        let _ = parse_upgrade_source(&t);
        let _ = Release::parse(&u);
        let _ = parse_service_pack(&s);
        let _ = Arch::parse(&t);
        let _ = s.parse::<Version>();
    }

    #[test]
    fn evaluation_never_panics_on_arbitrary_strings(os in "\\PC{0,60}", sp in "\\PC{0,20}", sql in "\\PC{0,40}", ver in "[0-9.]{0,12}") {
        let record = FactsRecord {
            target: "t".into(),
            amt: Some(AmtFacts { version: Some(ver.into()), ..AmtFacts::default() }),
            host: Some(HostFacts { os: Some(os.clone()), service_pack: Some(sp), ..HostFacts::default() }),
            site: Some(SiteFacts { sql: Some(sql), console_os: Some(os.clone()), service_point_os: Some(os),
                ..SiteFacts::default() }),
            ..FactsRecord::default()
        };
        let e = Policy::builtin().evaluate(&record);
        // An OS the rules do not recognise is never judged ready.
        if parse_os(record.host.as_ref().unwrap().os.as_deref().unwrap(), None, None, None).is_none() {
            prop_assert_ne!(e.verdict, Verdict::Ready);
        }
    }
}

const OSES: &[&str] = &[
    "Microsoft Windows XP Professional",
    "Microsoft Windows XP Home Edition",
    "Microsoft Windows XP Professional x64 Edition",
    "Microsoft Windows XP Tablet PC Edition",
    "Microsoft Windows 2000 Professional",
    "Microsoft® Windows Vista™ Business",
    "Windows Vista Home Premium",
    "Windows 7 Enterprise",
    "Windows 7 Home Premium",
    "Microsoft(R) Windows(R) Server 2003, Enterprise Edition",
    "Microsoft(R) Windows(R) Server 2003, Web Edition",
    "Windows Server 2003 R2 Standard Edition",
    "Windows Server 2008 Standard",
    "Windows Server 2008 R2 Datacenter",
    "2008-core",
    "Windows CE 4.2",
    "Windows Mobile 6.1",
    "BeOS R5",
];
const SPS: &[&str] = &[
    "",
    "Service Pack 1",
    "Service Pack 2",
    "Service Pack 3",
    "Service Pack 4",
];
const ARCHS: &[&str] = &["32-bit", "64-bit", "Itanium", "ARM"];
const VERSIONS: &[&str] = &[
    "3.2.0",
    "3.2.1",
    "4.1",
    "4.3",
    "5.0",
    "5.1",
    "5.2",
    "5.2.9",
    "5.2.10.1023",
    "7.1",
];
const SITE_OSES: &[&str] = &[
    "Windows XP Professional SP2",
    "Windows XP Professional SP3",
    "Windows Server 2003 Standard Edition SP1",
    "Windows Server 2003 SP2",
    "Windows Server 2008 Standard SP2 x64",
    "Windows Server 2008 Enterprise SP2 Core",
    "Windows 7 Enterprise",
];
const SQLS: &[&str] = &[
    "SQL Server 2005 Enterprise SP2 x64",
    "SQL Server 2005 Standard SP1 x86",
    "SQL Server 2008 Standard SP1 x64",
    "SQL Server 2008 R2 Enterprise RTM x64",
    "SQL Server 2005 Enterprise SP2 IA64",
    "SQL Server 2008",
];
const UPGRADES: &[&str] = &[
    "none",
    "SMS 2003 SP1",
    "SMS 2003 SP2",
    "SMS 2003 SP3",
    "Configuration Manager 2007",
    "ConfigMgr 2007 SP1 Evaluation",
];
const RELEASES: &[&str] = &["eval", "sp", "complete"];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(list).prop_map(str::to_string)
}

fn opt_pick(list: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop::option::of(pick(list))
}

fn record() -> impl Strategy<Value = FactsRecord> {
    let host = (
        (opt_pick(OSES), opt_pick(SPS), opt_pick(ARCHS)),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (os, service_pack, architecture),
                (server_core, rras_running, ics_enabled, inband_provisioning),
            )| {
                HostFacts {
                    os,
                    service_pack,
                    architecture,
                    server_core,
                    rras_running,
                    ics_enabled,
                    inband_provisioning,
                    ..HostFacts::default()
                }
            },
        );
    let site = (
        (
            opt_pick(&["mixed", "native"]),
            opt_pick(SITE_OSES),
            opt_pick(SITE_OSES),
            opt_pick(SITE_OSES),
        ),
        (
            opt_pick(SQLS),
            opt_pick(UPGRADES),
            opt_pick(RELEASES),
            prop::option::of(Just(vec!["KB942841".to_string()])),
        ),
    )
        .prop_map(
            |(
                (mode, console_os, service_point_os, site_server_os),
                (sql, upgrade_from, release, service_point_kbs),
            )| {
                SiteFacts {
                    mode,
                    console_os,
                    service_point_os,
                    site_server_os,
                    sql,
                    upgrade_from,
                    release,
                    service_point_kbs,
                    ..SiteFacts::default()
                }
            },
        );
    (
        opt_pick(VERSIONS),
        prop::option::of(host),
        prop::option::of(site),
    )
        .prop_map(|(version, host, site)| FactsRecord {
            target: "t".into(),
            amt: Some(AmtFacts {
                version: version.map(Into::into),
                ..AmtFacts::default()
            }),
            host,
            site,
            ..FactsRecord::default()
        })
}

/// Whether the product was ever built for the architecture: an architecture
/// it never shipped for is a contradiction in the facts, not a candidate.
fn ships_for(os: &str, arch: &str) -> bool {
    let is = |word: &str| os.contains(word);
    match arch {
        "ARM" => is("CE") || is("Mobile"),
        "Itanium" => (is("XP Professional") && !is("x64")) || is("2003") || is("2008"),
        "64-bit" => !(is("2000") || is("Tablet") || is("CE") || is("Mobile")),
        _ => !is("Mobile") && !is("2008 R2"),
    }
}

/// Whether the service pack was ever released for the product.
fn sp_exists(os: &str, sp: &str) -> bool {
    let level: u8 = sp
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let is = |word: &str| os.contains(word);
    let max = if is("2008 R2") || is("Windows 7") {
        1
    } else if is("Vista") || is("2008") || is("2003") {
        2
    } else if is("XP") {
        3
    } else if is("2000") {
        4
    } else if is("CE") || is("Mobile") {
        0
    } else {
        4
    };
    level <= max
}

/// Every record obtained by removing exactly one fact.
fn with_one_fact_removed(record: &FactsRecord) -> Vec<(String, FactsRecord)> {
    let mut out = Vec::new();
    let mut push = |name: &str, edit: &dyn Fn(&mut FactsRecord) -> bool| {
        let mut copy = record.clone();
        if edit(&mut copy) {
            out.push((name.to_string(), copy));
        }
    };
    macro_rules! remove {
        ($name:literal, $part:ident . $field:ident) => {
            push($name, &|r: &mut FactsRecord| {
                r.$part.as_mut().and_then(|p| p.$field.take()).is_some()
            });
        };
    }
    remove!("amt.version", amt.version);
    remove!("host.os", host.os);
    remove!("host.service_pack", host.service_pack);
    remove!("host.architecture", host.architecture);
    remove!("host.server_core", host.server_core);
    remove!("host.rras_running", host.rras_running);
    remove!("host.ics_enabled", host.ics_enabled);
    remove!("host.inband_provisioning", host.inband_provisioning);
    remove!("site.mode", site.mode);
    remove!("site.console_os", site.console_os);
    remove!("site.service_point_os", site.service_point_os);
    remove!("site.site_server_os", site.site_server_os);
    remove!("site.service_point_kbs", site.service_point_kbs);
    remove!("site.sql", site.sql);
    remove!("site.upgrade_from", site.upgrade_from);
    remove!("site.release", site.release);
    push("host", &|r: &mut FactsRecord| r.host.take().is_some());
    push("site", &|r: &mut FactsRecord| r.site.take().is_some());
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn removing_a_fact_never_makes_not_ready_ready(record in record()) {
        let policy = Policy::builtin();
        let before = policy.evaluate(&record);
        for (removed, smaller) in with_one_fact_removed(&record) {
            let after = policy.evaluate(&smaller);
            if before.verdict == Verdict::NotReady && after.verdict == Verdict::Ready {
                // Allowed only when a rule that was checked is now listed as not checked.
                let newly_unchecked: Vec<&String> =
                    after.not_checked.iter().filter(|r| !before.not_checked.contains(r)).collect();
                prop_assert!(!newly_unchecked.is_empty(), "removing {} turned not_ready into ready: {:#?} -> {:#?}", removed, before, after);
            }
            // A missing AMT version always leaves the verdict short of ready.
            if removed == "amt.version" {
                prop_assert_ne!(after.verdict, Verdict::Ready);
            }
        }
    }

    /// A rule with only some of its facts present never passes on a guess: if
    /// the client OS rule passes without the service pack (or architecture),
    /// it passes for every value that fact could take.
    #[test]
    fn partial_facts_pass_only_when_every_value_passes(os in pick(OSES), arch in pick(ARCHS), sp in pick(SPS)) {
        let policy = Policy::builtin();
        let base = |service_pack: Option<String>, architecture: Option<String>| FactsRecord {
            target: "t".into(),
            amt: Some(AmtFacts { version: Some("4.1".into()), ..AmtFacts::default() }),
            host: Some(HostFacts { os: Some(os.clone()), service_pack, architecture, server_core: Some(false),
                rras_running: Some(false), ics_enabled: Some(false), inband_provisioning: Some(false),
                ..HostFacts::default() }),
            site: Some(SiteFacts { mode: Some("mixed".into()), ..SiteFacts::default() }),
            ..FactsRecord::default()
        };
        let without_sp = policy.evaluate(&base(None, Some(arch.clone())));
        if without_sp.verdict == Verdict::Ready {
            for each in SPS.iter().skip(1).chain(["No service pack"].iter()).filter(|sp| sp_exists(&os, sp)) {
                let full = policy.evaluate(&base(Some(each.to_string()), Some(arch.clone())));
                prop_assert_eq!(full.verdict, Verdict::Ready, "{} {} passes without SP but not with {}", os, arch, each);
            }
        }
        let without_arch = policy.evaluate(&base(Some(sp.clone()), None));
        if without_arch.verdict == Verdict::Ready {
            for each in ARCHS.iter().filter(|a| ships_for(&os, a)) {
                let full = policy.evaluate(&base(Some(sp.clone()), Some(each.to_string())));
                prop_assert_ne!(full.verdict, Verdict::NotReady, "{} {} passes without arch but fails with {}", os, sp, each);
            }
        }
    }

    /// RRAS: one of its two facts false and the other absent is unknown, never ready.
    #[test]
    fn rras_partial_is_unknown(which in any::<bool>()) {
        let mut host = HostFacts { os: Some("Windows 7 Enterprise".into()), architecture: Some("64-bit".into()),
            server_core: Some(false), inband_provisioning: Some(false), ..HostFacts::default() };
        if which { host.rras_running = Some(false) } else { host.ics_enabled = Some(false) }
        let record = FactsRecord { target: "t".into(),
            amt: Some(AmtFacts { version: Some("4.2".into()), ..AmtFacts::default() }),
            host: Some(host), ..FactsRecord::default() };
        let e = Policy::builtin().evaluate(&record);
        prop_assert_eq!(e.verdict, Verdict::Unknown);
        let wanted = if which { "host.ics_enabled" } else { "host.rras_running" };
        prop_assert!(e.missing.iter().any(|m| m == wanted));
    }
}

/// Every AMT fact a device could report, each present or not, for the
/// authenticated-facts property below.
fn amt_facts() -> impl Strategy<Value = AmtFacts> {
    use amtready::facts::{CertHash, ProvisioningMode, ProvisioningState};
    (
        opt_pick(&["3.2.1", "4.1", "5.2.10", "5.2.10.1054", "6.2.61", "8.1.40"]),
        prop::option::of(prop_oneof![
            Just(ProvisioningState::Pre),
            Just(ProvisioningState::In),
            Just(ProvisioningState::Post)
        ]),
        prop::option::of(prop_oneof![
            Just(ProvisioningMode::Enterprise),
            Just(ProvisioningMode::SmallBusiness),
            Just(ProvisioningMode::AdminControl)
        ]),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        opt_pick(&["corp.example.com", ""]),
        prop::option::of(prop::collection::vec(any::<bool>(), 0..3)),
    )
        .prop_map(
            |(version, state, mode, ztc, nic, suffix, hashes)| AmtFacts {
                version: version.map(Into::into),
                provisioning_state: state,
                provisioning_mode: mode,
                ztc_enabled: ztc,
                network_interface_enabled: nic,
                dhcp_dns_suffix: suffix,
                cert_hashes: hashes.map(|list| {
                    list.into_iter()
                        .map(|enabled| CertHash {
                            instance_id: "h".into(),
                            hash_type: Some("sha1".into()),
                            hash_hex: Some("ab".into()),
                            enabled: Some(enabled),
                            ..CertHash::default()
                        })
                        .collect()
                }),
                ..AmtFacts::default()
            },
        )
}

proptest! {
    /// A record without authenticated facts (the login failed, the device
    /// could not be read, or the version came only from the Server banner or
    /// the RMCP pong) is never `ready`, whatever else it holds and whichever
    /// policies judge it.
    #[test]
    fn without_authenticated_facts_never_ready(
        base in record(),
        amt in amt_facts(),
        how in 0usize..6,
        policies in prop::sample::subsequence(
            vec!["configmgr-2007-sp1", "configmgr-2007-sp1-provisioning", "intel-advisories"], 1..=3),
    ) {
        use amtready::facts::{CredentialFacts, FactSource, HostStatus};
        use amtready::rules::PolicySet;
        let mut record = base;
        let mut amt = amt;
        match how {
            0 => { record.status = Some(HostStatus::AuthFailed); amt.source = Some(FactSource::ServerHeader) }
            1 => { record.status = Some(HostStatus::AuthFailed); amt.source = None }
            2 => { record.status = Some(HostStatus::Ok); amt.source = Some(FactSource::ServerHeader) }
            3 => { record.status = Some(HostStatus::Ok); amt.source = Some(FactSource::Rmcp) }
            4 => { record.status = None; amt.source = Some(FactSource::ServerHeader) }
            _ => { record.status = Some(HostStatus::Unreachable); amt.source = None }
        }
        record.amt = Some(amt);
        record.credentials = Some(CredentialFacts { password_given: true, ..CredentialFacts::default() });
        let set = PolicySet::from_args(&policies).unwrap();
        let e = set.evaluate(&record);
        prop_assert_ne!(e.verdict, Verdict::Ready, "{:?}", e);
        prop_assert!(e.missing.iter().any(|m| m.starts_with("amt (no authenticated read")), "{:?}", e.missing);
        prop_assert_ne!(Policy::builtin().evaluate(&record).verdict, Verdict::Ready);
    }
}
