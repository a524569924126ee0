//! Table-driven walk of every row of every table in the seed
//! (shared/seed/000_92531ee5cb7c9182.txt), plus the version boundaries.
//! Expectations are written here by hand from the seed, not read from the
//! policy file, so a wrong policy entry fails a case.

use amtready::facts::FactsRecord;
use amtready::rules::{Evaluation, Policy, Severity, Verdict};
use serde_json::{json, Value};

fn evaluate(record: Value) -> Evaluation {
    let record: FactsRecord = serde_json::from_value(record).expect("test record");
    Policy::builtin().evaluate(&record)
}

fn errors(e: &Evaluation) -> Vec<&str> {
    e.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule.as_str())
        .collect()
}

fn rule_ids(e: &Evaluation) -> Vec<&str> {
    e.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[track_caller]
fn expect(name: &str, e: &Evaluation, verdict: Verdict, rules: &[&str]) {
    assert_eq!(e.verdict, verdict, "{name}: {e:#?}");
    for rule in rules {
        assert!(
            rule_ids(e).contains(rule),
            "{name}: expected rule {rule} in {e:#?}"
        );
    }
    if verdict == Verdict::Ready {
        assert!(errors(e).is_empty(), "{name}: {e:#?}");
        assert!(e.missing.is_empty(), "{name}: {e:#?}");
    }
}

/// A host record with every host fact set and nothing blocking besides the OS.
/// Empty `sp` / `arch` leave the fact out. The site is mixed mode so that the
/// Windows 2000 native-mode rule is decided.
fn host(os: &str, sp: &str, arch: &str) -> Value {
    let mut record = json!({"target": "t", "amt": {"version": "5.2.10"},
           "host": {"os": os, "server_core": false,
                    "rras_running": false, "ics_enabled": false, "inband_provisioning": false},
           "site": {"mode": "mixed"}});
    if !sp.is_empty() {
        record["host"]["service_pack"] = json!(sp);
    }
    if !arch.is_empty() {
        record["host"]["architecture"] = json!(arch);
    }
    record
}

// ---------------------------------------------------------------- AMT firmware

#[test]
fn amt_firmware_boundaries() {
    let cases: &[(&str, Verdict)] = &[
        ("2.6", Verdict::NotReady),
        ("2.6.3.1000", Verdict::NotReady),
        ("3.0", Verdict::NotReady),
        ("3.1", Verdict::NotReady),
        ("3.2.0", Verdict::NotReady),
        ("3.2.0.1234", Verdict::NotReady),
        ("3.2", Verdict::Unknown),
        ("3.2.1", Verdict::Ready),
        ("3.2.1.1004", Verdict::Ready),
        ("3.2.5", Verdict::Ready),
        ("4.0", Verdict::Ready),
        ("4.0.3", Verdict::Ready),
        ("4.1", Verdict::Ready),
        ("4.1.2.1007", Verdict::Ready),
        ("4.2", Verdict::Ready),
        ("4.2.99", Verdict::Ready),
        ("4.3", Verdict::NotReady),
        ("4.3.0", Verdict::NotReady),
        ("4.9", Verdict::NotReady),
        ("5.0", Verdict::Ready),
        ("5.0.2.1017", Verdict::Ready),
        ("5.1", Verdict::NotReady),
        ("5.1.3", Verdict::NotReady),
        ("5.2", Verdict::Unknown),
        ("5.2.0", Verdict::NotReady),
        ("5.2.9", Verdict::NotReady),
        ("5.2.9.9999", Verdict::NotReady),
        ("5.2.10", Verdict::Ready),
        ("5.2.10.1023", Verdict::Ready),
        ("5.2.70", Verdict::Ready),
        ("5.3", Verdict::NotReady),
        ("6.0", Verdict::NotReady),
        ("6.2.61.3535", Verdict::NotReady),
        ("7.1", Verdict::NotReady),
        ("11.8.50.3425", Verdict::NotReady),
        ("16.1", Verdict::NotReady),
    ];
    for (version, verdict) in cases {
        let e = evaluate(json!({"target": "t", "amt": {"version": version}}));
        assert_eq!(e.verdict, *verdict, "AMT {version}: {e:#?}");
        match verdict {
            Verdict::NotReady => assert_eq!(errors(&e), ["AMT-FW-VERSION"], "{version}"),
            Verdict::Unknown => assert!(
                e.missing.iter().any(|m| m.starts_with("amt.version")),
                "{version}"
            ),
            Verdict::Ready => {
                // AMT alone: every host and site rule is listed as not checked.
                assert!(e.not_checked.iter().any(|r| r == "CLIENT-OS"), "{version}");
                assert!(
                    e.not_checked.iter().any(|r| r == "SQL-DATABASE"),
                    "{version}"
                );
            }
        }
    }
    let below = evaluate(json!({"target": "t", "amt": {"version": "5.2.9"}}));
    assert_eq!(
        below.findings[0].message,
        "AMT 5.2.9 is below the minimum revision 5.2.10 for AMT 5.2"
    );
    assert_eq!(below.findings[0].seed_section, "Out of Band Management");
    let missing = evaluate(json!({"target": "t"}));
    assert_eq!(
        (missing.verdict, missing.missing.as_slice()),
        (Verdict::Unknown, ["amt.version".to_string()].as_slice())
    );
    let junk = evaluate(json!({"target": "t", "amt": {"version": "five"}}));
    assert_eq!(junk.verdict, Verdict::Unknown);
}

// --------------------------------------------- Computer Client OS Requirements

struct ClientRow {
    os: &'static str,
    editions: &'static [&'static str],
    sps: &'static [&'static str],
    archs: &'static [&'static str],
    /// Rule ids of footnote findings expected on the 64-bit / SP-specific combos.
    notes: &'static [(&'static str, &'static str)],
}

/// The seed's client table, row by row. An empty `sps` means the seed names none.
const CLIENT_ROWS: &[ClientRow] = &[
    ClientRow {
        os: "Microsoft Windows 2000",
        editions: &[
            "Professional",
            "Server",
            "Advanced Server",
            "Datacenter Server",
        ],
        sps: &["Service Pack 4"],
        archs: &["32-bit"],
        notes: &[("Datacenter Server", "CLIENT-OS-FN1")],
    },
    ClientRow {
        os: "Microsoft Windows XP",
        editions: &["Professional"],
        sps: &["Service Pack 2", "Service Pack 3"],
        archs: &["32-bit"],
        notes: &[],
    },
    ClientRow {
        os: "Microsoft Windows XP Professional x64 Edition",
        editions: &[""],
        sps: &["Service Pack 2"],
        archs: &["64-bit"],
        notes: &[("64-bit", "CLIENT-OS-FN5"), ("64-bit", "CLIENT-OS-FN3")],
    },
    ClientRow {
        os: "Microsoft Windows XP Tablet PC Edition",
        editions: &[""],
        sps: &["Service Pack 2"],
        archs: &["32-bit"],
        notes: &[],
    },
    ClientRow {
        os: "Microsoft Windows XP Embedded",
        editions: &[""],
        sps: &["Service Pack 2"],
        archs: &["32-bit"],
        notes: &[("", "CLIENT-OS-FN4")],
    },
    ClientRow {
        os: "Windows Embedded Standard 2009",
        editions: &[""],
        sps: &[],
        archs: &["32-bit"],
        notes: &[("", "CLIENT-OS-FN4")],
    },
    ClientRow {
        os: "Windows Embedded for Point of Service 1.1",
        editions: &[""],
        sps: &[],
        archs: &["32-bit"],
        notes: &[("", "CLIENT-OS-FN4")],
    },
    ClientRow {
        os: "Windows Embedded POSReady 2009",
        editions: &[""],
        sps: &[],
        archs: &["32-bit"],
        notes: &[("", "CLIENT-OS-FN4")],
    },
    ClientRow {
        os: "Windows Fundamentals for Legacy PCs",
        editions: &[""],
        sps: &[],
        archs: &["32-bit"],
        notes: &[],
    },
    ClientRow {
        os: "Microsoft® Windows Vista™",
        editions: &["Business", "Enterprise", "Ultimate"],
        sps: &["No service pack", "Service Pack 1", "Service Pack 2"],
        archs: &["32-bit", "64-bit"],
        notes: &[
            ("Service Pack 2", "CLIENT-OS-FN6"),
            ("64-bit", "CLIENT-OS-FN5"),
        ],
    },
    ClientRow {
        os: "Windows 7",
        editions: &["Professional", "Enterprise", "Ultimate"],
        sps: &[],
        archs: &["32-bit", "64-bit"],
        notes: &[("", "CLIENT-OS-FN7")],
    },
    ClientRow {
        os: "Microsoft(R) Windows(R) Server 2003,",
        editions: &["Web Edition"],
        sps: &["Service Pack 1", "Service Pack 2"],
        archs: &["32-bit"],
        notes: &[],
    },
    ClientRow {
        os: "Microsoft(R) Windows(R) Server 2003,",
        editions: &["Standard Edition"],
        sps: &["Service Pack 1", "Service Pack 2"],
        archs: &["32-bit", "64-bit"],
        notes: &[],
    },
    ClientRow {
        os: "Microsoft(R) Windows(R) Server 2003,",
        editions: &["Enterprise Edition", "Datacenter Edition"],
        sps: &["Service Pack 1", "Service Pack 2"],
        archs: &["32-bit", "64-bit", "Itanium"],
        notes: &[("Datacenter Edition", "CLIENT-OS-FN1")],
    },
    ClientRow {
        os: "Microsoft(R) Windows(R) Server 2003 R2",
        editions: &["Standard Edition"],
        sps: &[],
        archs: &["32-bit", "64-bit"],
        notes: &[],
    },
    ClientRow {
        os: "Microsoft(R) Windows(R) Server 2003 R2",
        editions: &["Enterprise Edition", "Datacenter Edition"],
        sps: &[],
        archs: &["32-bit", "64-bit", "Itanium"],
        notes: &[],
    },
    ClientRow {
        os: "Windows Storage Server 2003",
        editions: &[
            "Express Edition",
            "Workgroup Edition",
            "Standard Edition",
            "Enterprise Edition",
        ],
        sps: &["Service Pack 1", "Service Pack 2"],
        archs: &["32-bit", "64-bit"],
        notes: &[],
    },
    ClientRow {
        os: "Windows Storage Server 2008",
        editions: &[
            "Basic Edition",
            "Workgroup Edition",
            "Standard Edition",
            "Enterprise Edition",
        ],
        sps: &[],
        archs: &["32-bit", "64-bit"],
        notes: &[],
    },
    ClientRow {
        os: "Windows Server 2008",
        editions: &["Standard", "Enterprise", "Datacenter"],
        sps: &["Service Pack 1", "Service Pack 2"],
        archs: &["32-bit", "64-bit"],
        notes: &[("Service Pack 2", "CLIENT-OS-FN6")],
    },
    ClientRow {
        os: "Windows Server 2008 R2",
        editions: &["Standard", "Enterprise", "Datacenter"],
        sps: &[],
        archs: &["64-bit"],
        notes: &[("", "CLIENT-OS-FN7")],
    },
    ClientRow {
        os: "Windows Server 2008 for Itanium-Based Systems",
        editions: &[""],
        sps: &["Service Pack 1", "Service Pack 2"],
        archs: &["Itanium"],
        notes: &[("Service Pack 2", "CLIENT-OS-FN6")],
    },
];

#[test]
fn client_os_table_every_combination() {
    let mut cases = 0;
    for row in CLIENT_ROWS {
        let sps: &[&str] = if row.sps.is_empty() {
            &["", "Service Pack 1"]
        } else {
            row.sps
        };
        for edition in row.editions {
            for sp in sps {
                for arch in row.archs {
                    let os = format!("{} {}", row.os, edition).trim().to_string();
                    let e = evaluate(host(&os, sp, arch));
                    let name = format!("{os} / {sp:?} / {arch}");
                    expect(&name, &e, Verdict::Ready, &[]);
                    for (when, rule) in row.notes {
                        if [*edition, *sp, *arch].contains(when) || when.is_empty() {
                            assert!(
                                rule_ids(&e).contains(rule),
                                "{name}: expected {rule}: {e:#?}"
                            );
                        }
                    }
                    cases += 1;
                }
            }
        }
    }
    assert!(cases >= 80, "{cases}");
}

#[test]
fn client_os_outside_the_table() {
    let not_ready: &[(&str, &str, &str)] = &[
        (
            "Microsoft Windows 2000 Professional",
            "Service Pack 3",
            "32-bit",
        ),
        (
            "Microsoft Windows XP Professional",
            "Service Pack 1",
            "32-bit",
        ),
        (
            "Microsoft Windows XP Home Edition",
            "Service Pack 3",
            "32-bit",
        ),
        (
            "Microsoft Windows XP Professional x64 Edition",
            "Service Pack 1",
            "64-bit",
        ),
        (
            "Microsoft Windows XP Tablet PC Edition",
            "Service Pack 1",
            "32-bit",
        ),
        ("Microsoft Windows XP Embedded", "Service Pack 1", "32-bit"),
        (
            "Microsoft Windows Vista Home Premium",
            "Service Pack 2",
            "32-bit",
        ),
        ("Windows 7 Home Premium", "", "64-bit"),
        ("Windows 7 Starter", "", "32-bit"),
        (
            "Microsoft(R) Windows(R) Server 2003, Web Edition",
            "Service Pack 2",
            "64-bit",
        ),
        (
            "Microsoft(R) Windows(R) Server 2003, Standard Edition",
            "No service pack",
            "32-bit",
        ),
        (
            "Microsoft(R) Windows(R) Server 2003, Standard Edition",
            "Service Pack 2",
            "Itanium",
        ),
        ("Windows Server 2008 Standard", "No service pack", "32-bit"),
        (
            "Windows Storage Server 2003 Express Edition",
            "No service pack",
            "32-bit",
        ),
    ];
    for (os, sp, arch) in not_ready {
        let e = evaluate(host(os, sp, arch));
        expect(
            &format!("{os} {sp} {arch}"),
            &e,
            Verdict::NotReady,
            &["CLIENT-OS"],
        );
    }
}

#[test]
fn contradictory_os_facts_are_unknown_not_a_verdict() {
    // Products never built for that architecture or never given that SP.
    for (os, sp, arch) in [
        ("Windows Server 2008 R2 Standard", "", "32-bit"),
        ("Windows Vista Business", "Service Pack 1", "Itanium"),
        (
            "Microsoft Windows XP Professional",
            "Service Pack 4",
            "32-bit",
        ),
    ] {
        let e = evaluate(host(os, sp, arch));
        assert_eq!(e.verdict, Verdict::Unknown, "{os} {sp} {arch}: {e:#?}");
        assert!(
            e.missing.iter().any(|m| m.contains("never")),
            "{os}: {e:#?}"
        );
    }
}

#[test]
fn client_os_kb_footnotes_are_warnings_and_satisfied_by_the_kb() {
    let mut vista = host("Windows Vista Business SP2 x64", "", "");
    let e = evaluate(vista.clone());
    expect("vista sp2", &e, Verdict::Ready, &["CLIENT-OS-FN6"]);
    let fn6 = e
        .findings
        .iter()
        .find(|f| f.rule == "CLIENT-OS-FN6")
        .unwrap();
    assert_eq!(fn6.severity, Severity::Warning);
    assert!(fn6.fix.as_deref().unwrap().contains("KB970093"));
    vista["host"]["kbs"] = json!(["KB970093"]);
    assert!(!rule_ids(&evaluate(vista)).contains(&"CLIENT-OS-FN6"));
    let seven = evaluate(host("Windows 7 Enterprise", "", "64-bit"));
    let fn7 = seven
        .findings
        .iter()
        .find(|f| f.rule == "CLIENT-OS-FN7")
        .unwrap();
    assert_eq!(
        (fn7.severity, fn7.fix.as_deref()),
        (Severity::Warning, Some("apply KB974236"))
    );
}

#[test]
fn unknown_os_is_a_finding_never_supported() {
    for os in [
        "Ubuntu 22.04",
        "Windows 95",
        "OS/2 Warp",
        "Microsoft Windows",
        "macOS 14",
    ] {
        let e = evaluate(host(os, "", "64-bit"));
        assert_eq!(e.verdict, Verdict::Unknown, "{os}");
        assert!(rule_ids(&e).contains(&"HOST-OS-UNKNOWN"), "{os}");
        assert!(e.missing.iter().any(|m| m.starts_with("host.os")), "{os}");
    }
}

#[test]
fn client_os_partial_facts_are_unknown() {
    // Service pack not given: XP SP1 would fail, SP2/SP3 pass.
    let e = evaluate(
        host("Microsoft Windows XP Professional", "", "32-bit").tap_remove("service_pack"),
    );
    assert_eq!(e.verdict, Verdict::Unknown);
    assert!(e.missing.contains(&"host.service_pack".to_string()));
    // Architecture not given for XP SP3: x64 Edition only exists at SP2.
    let e = evaluate(
        host("Microsoft Windows XP Professional", "Service Pack 3", "").tap_remove("architecture"),
    );
    assert_eq!(e.verdict, Verdict::Unknown);
    assert!(e.missing.contains(&"host.architecture".to_string()));
}

trait Remove {
    fn tap_remove(self, field: &str) -> Value;
}
impl Remove for Value {
    fn tap_remove(mut self, field: &str) -> Value {
        if let Some(host) = self.get_mut("host").and_then(Value::as_object_mut) {
            host.remove(field);
        }
        self
    }
}

// ------------------------------------------------ Out of Band Management (host)

#[test]
fn inband_provisioning_rules() {
    let cases: &[(&str, &str, &str, Verdict, &str)] = &[
        (
            "Windows Server 2008 Standard",
            "Service Pack 2",
            "64-bit",
            Verdict::NotReady,
            "HOST-INBAND-SERVER",
        ),
        (
            "Microsoft(R) Windows(R) Server 2003, Standard Edition",
            "Service Pack 2",
            "32-bit",
            Verdict::NotReady,
            "HOST-INBAND-SERVER",
        ),
        (
            "Windows Server 2008 R2 Enterprise",
            "",
            "64-bit",
            Verdict::NotReady,
            "HOST-INBAND-SERVER",
        ),
        (
            "Windows Storage Server 2008 Basic",
            "",
            "64-bit",
            Verdict::NotReady,
            "HOST-INBAND-SERVER",
        ),
        (
            "Microsoft Windows 2000 Professional",
            "Service Pack 4",
            "32-bit",
            Verdict::NotReady,
            "HOST-INBAND-OS",
        ),
        (
            "Microsoft Windows XP Tablet PC Edition",
            "Service Pack 2",
            "32-bit",
            Verdict::NotReady,
            "HOST-INBAND-OS",
        ),
        (
            "Microsoft Windows XP Professional",
            "Service Pack 3",
            "32-bit",
            Verdict::Ready,
            "",
        ),
        (
            "Windows Vista Enterprise",
            "Service Pack 1",
            "64-bit",
            Verdict::Ready,
            "",
        ),
    ];
    for (os, sp, arch, verdict, rule) in cases {
        let mut record = host(os, sp, arch);
        record["host"]["inband_provisioning"] = json!(true);
        let e = evaluate(record.clone());
        let rules: &[&str] = if rule.is_empty() {
            &[]
        } else {
            std::slice::from_ref(rule)
        };
        expect(os, &e, *verdict, rules);
        // Without in-band provisioning the same host is ready.
        record["host"]["inband_provisioning"] = json!(false);
        assert_eq!(
            evaluate(record.clone()).verdict,
            Verdict::Ready,
            "{os} out of band"
        );
        // Not saying is unknown for the hosts the rule concerns.
        record["host"]
            .as_object_mut()
            .unwrap()
            .remove("inband_provisioning");
        let expected = if *verdict == Verdict::NotReady {
            Verdict::Unknown
        } else {
            Verdict::Ready
        };
        assert_eq!(evaluate(record).verdict, expected, "{os} in-band unknown");
    }
}

#[test]
fn rras_and_ics() {
    let base = host(
        "Microsoft Windows XP Professional",
        "Service Pack 3",
        "32-bit",
    );
    for (rras, ics, verdict) in [
        (json!(true), json!(false), Verdict::NotReady),
        (json!(false), json!(true), Verdict::NotReady),
        (json!(true), json!(true), Verdict::NotReady),
        (json!(false), json!(false), Verdict::Ready),
        (json!(false), Value::Null, Verdict::Unknown),
        (Value::Null, json!(false), Verdict::Unknown),
        (Value::Null, json!(true), Verdict::NotReady),
    ] {
        let mut record = base.clone();
        record["host"]["rras_running"] = rras.clone();
        record["host"]["ics_enabled"] = ics.clone();
        let e = evaluate(record);
        let rules: &[&str] = if verdict == Verdict::NotReady {
            &["HOST-RRAS"]
        } else {
            &[]
        };
        expect(&format!("rras {rras} ics {ics}"), &e, verdict, rules);
    }
}

#[test]
fn server_core_footnote_2_reading() {
    for os in [
        "Windows Server 2008 Enterprise",
        "Windows Server 2008 R2 Enterprise",
    ] {
        let sp = if os.contains("R2") {
            ""
        } else {
            "Service Pack 2"
        };
        let mut record = host(os, sp, "64-bit");
        record["host"]["server_core"] = json!(true);
        let e = evaluate(record.clone());
        // The .NET 2.0 exception is for desired configuration management only.
        expect(
            os,
            &e,
            Verdict::NotReady,
            &["HOST-OOB-SERVER-CORE", "CLIENT-OS-FN2"],
        );
        record["host"]
            .as_object_mut()
            .unwrap()
            .remove("server_core");
        let e = evaluate(record);
        assert_eq!(e.verdict, Verdict::Unknown, "{os}");
        assert!(e.missing.contains(&"host.server_core".to_string()));
    }
    let e = evaluate(host("2008-core", "SP2", "x64").tap_remove("server_core"));
    expect(
        "2008-core",
        &e,
        Verdict::NotReady,
        &["HOST-OOB-SERVER-CORE"],
    );
}

#[test]
fn windows_2000_native_mode() {
    let mut record = host(
        "Microsoft Windows 2000 Professional",
        "Service Pack 4",
        "32-bit",
    );
    record["site"] = json!({"mode": "native"});
    expect(
        "w2k native",
        &evaluate(record.clone()),
        Verdict::NotReady,
        &["HOST-W2K-NATIVE"],
    );
    record["site"] = json!({"mode": "mixed"});
    expect("w2k mixed", &evaluate(record.clone()), Verdict::Ready, &[]);
    record["site"] = json!({});
    let e = evaluate(record);
    assert_eq!(e.verdict, Verdict::Unknown);
    assert!(e.missing.contains(&"site.mode".to_string()));
    let mut xp = host("xp-pro-sp3", "", "x86");
    xp["site"] = json!({"mode": "native"});
    expect("xp native", &evaluate(xp), Verdict::Ready, &[]);
}

// ------------------------------------------------------------- Mobile devices

#[test]
fn mobile_table_every_entry() {
    let supported: &[(&str, &str, &str)] = &[
        ("Windows Mobile for Pocket PC 2003", "", ""),
        ("Windows Mobile for Pocket PC 2003 Second Edition", "", ""),
        ("Windows Mobile for Pocket PC Phone Edition 2003", "", ""),
        (
            "Windows Mobile for Pocket PC Phone Edition 2003 Second Edition",
            "",
            "",
        ),
        ("Windows Mobile for Pocket PC 5.0", "", "MOBILE-OS-NOTE"),
        (
            "Windows Mobile for Pocket PC Phone Edition 5.0",
            "",
            "MOBILE-OS-NOTE",
        ),
        ("Windows Mobile Smartphone 2003", "", "MOBILE-OS-NOTE"),
        ("Windows Mobile 5.0 Smartphone", "", "MOBILE-OS-NOTE"),
        ("Windows Mobile 6 Standard", "", ""),
        ("Windows Mobile 6 Professional", "", ""),
        ("Windows Mobile 6 Classic", "", ""),
        ("Windows Mobile 6.1", "", ""),
        ("Windows Mobile 6.5", "", ""),
        ("Windows CE 4.2", "ARM", "MOBILE-OS-NOTE"),
        ("Windows CE 5.0", "ARM", ""),
        ("Windows CE 5.0", "x86", ""),
    ];
    for (os, arch, note) in supported {
        let record = json!({"target": "t", "amt": {"version": "4.1"},
            "host": {"os": os, "architecture": arch}, "site": {"mode": "mixed"}});
        let e = evaluate(record);
        let notes: &[&str] = if note.is_empty() {
            &[]
        } else {
            std::slice::from_ref(note)
        };
        expect(os, &e, Verdict::Ready, notes);
    }
    let ce_native = json!({"target": "t", "amt": {"version": "4.1"},
        "host": {"os": "Windows CE 4.2", "architecture": "ARM"}, "site": {"mode": "native"}});
    expect(
        "CE 4.2 native",
        &evaluate(ce_native),
        Verdict::NotReady,
        &["MOBILE-OS"],
    );
    let ce_x86 = json!({"target": "t", "amt": {"version": "4.1"},
        "host": {"os": "Windows CE 4.2", "architecture": "x86"}, "site": {"mode": "mixed"}});
    expect(
        "CE 4.2 x86",
        &evaluate(ce_x86),
        Verdict::NotReady,
        &["MOBILE-OS"],
    );
    let wm4 = json!({"target": "t", "amt": {"version": "4.1"}, "host": {"os": "Windows Mobile 2002 Pocket PC"}});
    assert_ne!(evaluate(wm4).verdict, Verdict::Ready);
}

// --------------------------------------------------------- Console statements

fn site(site: Value) -> Value {
    json!({"target": "t", "amt": {"version": "4.2"}, "site": site})
}

#[test]
fn oob_console_minimum_service_packs() {
    let cases: &[(&str, Verdict, &[&str])] = &[
        ("Windows XP Professional SP3", Verdict::Ready, &[]),
        (
            "Windows XP Professional SP2",
            Verdict::NotReady,
            &["CONSOLE-OOB-SP"],
        ),
        (
            "Windows Server 2003 Standard Edition SP2",
            Verdict::Ready,
            &[],
        ),
        (
            "Windows Server 2003 Enterprise Edition SP1",
            Verdict::NotReady,
            &["CONSOLE-OOB-SP"],
        ),
        (
            "Windows Server 2003 R2 Enterprise Edition SP2",
            Verdict::Ready,
            &[],
        ),
        ("Windows Vista Business SP1", Verdict::Ready, &[]),
        ("Windows 7 Professional x64", Verdict::Ready, &[]),
        (
            "Windows 7 Enterprise",
            Verdict::NotReady,
            &["SITE-CONSOLE-OS"],
        ),
        ("Windows Server 2008 Standard SP2 x64", Verdict::Ready, &[]),
    ];
    for (os, verdict, rules) in cases {
        expect(
            os,
            &evaluate(site(json!({"console_os": os}))),
            *verdict,
            rules,
        );
    }
}

#[test]
fn console_colocation() {
    let ok = site(json!({"console_roles": ["primary-site-server"]}));
    expect("console on primary", &evaluate(ok), Verdict::Ready, &[]);
    let bad = site(json!({"console_roles": ["primary-site-server", "management_point"]}));
    expect(
        "console on MP",
        &evaluate(bad),
        Verdict::NotReady,
        &["CONSOLE-COLOCATION"],
    );
}

// ------------------------------------------------ Core site system table (Ø)

/// Hand reconstruction of the core table: row OS string, Ø count, supported columns.
const CORE: [&str; 10] = [
    "primary-site-server",
    "secondary-site-server",
    "management-point",
    "standard-distribution-point",
    "branch-distribution-point",
    "server-locator-point",
    "site-database-server",
    "fallback-status-point",
    "console",
    "sms-provider",
];
const FEATURE: [&str; 7] = [
    "software-update-point",
    "state-migration-point",
    "reporting-point",
    "system-health-validator-point",
    "pxe-service-point",
    "out-of-band-service-point",
    "asset-intelligence-synchronization-point",
];

#[test]
fn core_site_table_every_row() {
    let rows: &[(&str, usize, &[&str])] = &[
        (
            "Windows XP Professional SP2",
            8,
            &["branch-distribution-point", "console"],
        ),
        (
            "Windows XP Professional SP3",
            8,
            &["branch-distribution-point", "console"],
        ),
        (
            "Windows XP Professional x64 Edition SP2",
            8,
            &["branch-distribution-point", "console"],
        ),
        (
            "Windows Vista Business",
            8,
            &["branch-distribution-point", "console"],
        ),
        (
            "Windows Vista Enterprise SP1",
            8,
            &["branch-distribution-point", "console"],
        ),
        (
            "Windows Vista Ultimate SP2",
            8,
            &["branch-distribution-point", "console"],
        ),
        (
            "Windows Vista Business SP2 x64",
            8,
            &["branch-distribution-point", "console"],
        ),
        ("Windows 7 Professional", 9, &["console"]),
        ("Windows 7 Ultimate x64", 9, &["console"]),
        ("Windows Server 2003 Standard Edition SP1", 0, &CORE),
        ("Windows Server 2003 Datacenter Edition SP2", 0, &CORE),
        (
            "Windows Storage Server 2003 Express Edition SP2",
            8,
            &["standard-distribution-point", "branch-distribution-point"],
        ),
        ("Windows Server 2003 Enterprise x64 Edition SP2", 0, &CORE),
        (
            "Windows Storage Server 2003 Standard x64 Edition SP1",
            8,
            &["standard-distribution-point", "branch-distribution-point"],
        ),
        ("Windows Server 2003 R2 Standard Edition", 0, &CORE),
        ("Windows Server 2008 Enterprise SP1", 0, &CORE),
        ("Windows Server 2008 Datacenter SP2 x64", 0, &CORE),
        (
            "Windows Storage Server 2008",
            9,
            &["standard-distribution-point"],
        ),
        (
            "Windows Storage Server 2008 x64",
            9,
            &["standard-distribution-point"],
        ),
        ("Windows Server 2008 R2", 9, &["console"]),
    ];
    for (os, marks, supported) in rows {
        assert_eq!(CORE.len() - supported.len(), *marks, "{os}: Ø count");
        for role in CORE {
            let e = evaluate(site(json!({"role_os": {role: os}})));
            let should = supported.contains(&role);
            let name = format!("{role} on {os}");
            if should {
                expect(&name, &e, Verdict::Ready, &[]);
            } else {
                expect(&name, &e, Verdict::NotReady, &["SITE-ROLE-OS"]);
            }
        }
    }
    // Footnote 1: no site system role on Server Core.
    let e = evaluate(site(
        json!({"site_server_os": "Windows Server 2008 Standard SP2 x64 Server Core"}),
    ));
    expect("core", &e, Verdict::NotReady, &["SITE-SERVER-CORE"]);
}

#[test]
fn feature_site_table_every_row() {
    let rows: &[(&str, usize, &[&str])] = &[
        (
            "Windows Server 2003 Standard Edition SP2",
            1,
            &["system-health-validator-point"],
        ),
        (
            "Windows Server 2003 Enterprise x64 Edition SP2",
            1,
            &["system-health-validator-point"],
        ),
        (
            "Windows Server 2003 R2 Datacenter Edition",
            1,
            &["system-health-validator-point"],
        ),
        ("Windows Server 2008 Standard SP2", 0, &[]),
        ("Windows Server 2008 Enterprise SP1 x64", 0, &[]),
    ];
    for (os, marks, unsupported) in rows {
        assert_eq!(unsupported.len(), *marks);
        for role in FEATURE {
            let mut facts = json!({"role_os": {role: os}, "service_point_kbs": ["KB942841"]});
            if role == "out-of-band-service-point" {
                facts = json!({"service_point_os": os, "service_point_kbs": ["KB942841"]});
            }
            let e = evaluate(site(facts));
            let name = format!("{role} on {os}");
            if unsupported.contains(&role) {
                assert_eq!(e.verdict, Verdict::NotReady, "{name}: {e:#?}");
            } else {
                assert_eq!(e.verdict, Verdict::Ready, "{name}: {e:#?}");
            }
            if role == "reporting-point" && os.contains("x64") {
                assert!(rule_ids(&e).contains(&"SITE-REPORTING-GRAPHS"), "{name}");
            }
        }
    }
    // Footnote 3.
    let sp1 = evaluate(site(
        json!({"service_point_os": "Windows Server 2003 Standard Edition SP1"}),
    ));
    expect(
        "oob sp on 2003 sp1",
        &sp1,
        Verdict::NotReady,
        &["SITE-OOB-SP-OS"],
    );
    let sp2 = evaluate(site(
        json!({"service_point_os": "Windows Server 2003 Standard Edition SP2"}),
    ));
    expect(
        "oob sp on 2003 sp2 without KB",
        &sp2,
        Verdict::Ready,
        &["SITE-OOB-SP-KB"],
    );
    let kb = sp2
        .findings
        .iter()
        .find(|f| f.rule == "SITE-OOB-SP-KB")
        .unwrap();
    assert_eq!(
        (kb.severity, kb.fix.as_deref()),
        (Severity::Warning, Some("apply KB942841"))
    );
    let xp = evaluate(site(
        json!({"service_point_os": "Windows XP Professional SP3"}),
    ));
    expect("oob sp on XP", &xp, Verdict::NotReady, &["SITE-OOB-SP-OS"]);
    let core = evaluate(site(
        json!({"service_point_os": "Windows Server 2008 Enterprise SP2 Core"}),
    ));
    expect(
        "oob sp on core",
        &core,
        Verdict::NotReady,
        &["SITE-SERVER-CORE"],
    );
}

// ------------------------------------------------------- SQL Server database

#[test]
fn sql_table_every_combination() {
    let rows: &[(&str, &[&str], &[&str], bool)] = &[
        ("SQL Server 2005", &["SP2", "SP3"], &["x86", "x64"], false),
        ("SQL Server 2008", &["", "SP1"], &["x86", "x64"], true),
        ("SQL Server 2008 R2", &[""], &["x86", "x64"], true),
    ];
    for (version, sps, archs, kb) in rows {
        for edition in ["Standard", "Enterprise"] {
            for sp in *sps {
                for arch in *archs {
                    let sp_text = if sp.is_empty() { "RTM" } else { sp };
                    let sql = format!("{version} {edition} {sp_text} {arch}");
                    let e = evaluate(site(json!({"sql": sql})));
                    let rules: &[&str] = if *kb { &["SQL-KB955262"] } else { &[] };
                    expect(&sql, &e, Verdict::Ready, rules);
                    let with_kb = evaluate(site(json!({"sql": sql, "site_kbs": ["KB955262"]})));
                    assert!(with_kb.findings.is_empty(), "{sql}: {with_kb:#?}");
                }
            }
        }
    }
    for bad in [
        "SQL Server 2005 Standard SP1 x86",
        "SQL Server 2005 Express SP3 x86",
        "SQL Server 2008 Enterprise SP2 x64",
        "SQL Server 2008 R2 Standard SP1 x64",
        "SQL Server 2000 Enterprise SP4 x86",
        "SQL Server 2012 Standard RTM x64",
        "SQL Server 2008 Workgroup RTM x86",
    ] {
        expect(
            bad,
            &evaluate(site(json!({"sql": bad}))),
            Verdict::NotReady,
            &["SQL-DATABASE"],
        );
    }
    let itanium = evaluate(site(json!({"sql": "SQL Server 2005 Enterprise SP2 IA64"})));
    expect("itanium", &itanium, Verdict::NotReady, &["SQL-ITANIUM"]);
    let partial = evaluate(site(json!({"sql": "SQL Server 2005 Enterprise"})));
    assert_eq!(partial.verdict, Verdict::Unknown);
}

// ------------------------------------------------------ Supported Upgrade Paths

#[test]
fn upgrade_table_every_cell() {
    let rows: &[(&str, [Option<bool>; 3])] = &[
        (
            "Systems Management Server (SMS) 2003 SP1",
            [Some(false), Some(false), Some(false)],
        ),
        ("SMS 2003 SP2", [Some(false), Some(false), Some(true)]),
        ("SMS 2003 SP3", [Some(true), Some(false), Some(true)]),
        (
            "Configuration Manager 2007 (no service pack)",
            [Some(false), Some(true), Some(true)],
        ),
        (
            "Configuration Manager 2007 Evaluation Release",
            [Some(false), Some(false), Some(false)],
        ),
        (
            "Configuration Manager 2007 SP1 Evaluation Release",
            [None, Some(false), Some(true)],
        ),
    ];
    for (from, cells) in rows {
        for (release, cell) in ["eval", "sp", "complete"].iter().zip(cells) {
            let e = evaluate(site(json!({"upgrade_from": from, "release": release})));
            let name = format!("{from} with {release}");
            match cell {
                Some(true) => expect(&name, &e, Verdict::Ready, &[]),
                // "n/a" is not a supported upgrade either.
                Some(false) | None => expect(&name, &e, Verdict::NotReady, &["UPGRADE-PATH"]),
            }
        }
    }
    let e = evaluate(site(json!({"upgrade_from": "SMS 2003 SP3"})));
    assert_eq!(e.verdict, Verdict::Unknown);
    assert!(e.missing.contains(&"site.release".to_string()));
}

#[test]
fn complete_release_for_new_installs_on_2008() {
    let cases: &[(Value, Verdict)] = &[
        (
            json!({"upgrade_from": "none", "release": "eval", "site_server_os": "Windows Server 2008 Standard SP2 x64", "sql": "SQL Server 2005 Standard SP2 x64"}),
            Verdict::NotReady,
        ),
        (
            json!({"upgrade_from": "none", "release": "sp", "site_server_os": "Windows Server 2003 Standard Edition SP2", "sql": "SQL Server 2008 Standard SP1 x64"}),
            Verdict::NotReady,
        ),
        (
            json!({"upgrade_from": "none", "release": "complete", "site_server_os": "Windows Server 2008 Standard SP2 x64", "sql": "SQL Server 2008 Standard SP1 x64", "site_kbs": ["KB955262"]}),
            Verdict::Ready,
        ),
        (
            json!({"upgrade_from": "none", "release": "eval", "site_server_os": "Windows Server 2003 Standard Edition SP2", "sql": "SQL Server 2005 Standard SP2 x86"}),
            Verdict::Ready,
        ),
    ];
    for (facts, verdict) in cases {
        let e = evaluate(site(facts.clone()));
        let rules: &[&str] = if *verdict == Verdict::NotReady {
            &["NEW-INSTALL-RELEASE"]
        } else {
            &[]
        };
        expect(&facts.to_string(), &e, *verdict, rules);
    }
}

// --------------------------------------------------------- Upgrade Considerations

#[test]
fn upgrade_considerations() {
    let inplace = evaluate(site(
        json!({"site_server_os": "Windows Server 2008 Standard SP2 x64",
        "site_server_os_upgraded_from": "Windows Server 2003 Standard Edition SP2"}),
    ));
    expect(
        "2003 -> 2008 in place",
        &inplace,
        Verdict::NotReady,
        &["SITE-SERVER-OS-UPGRADE"],
    );
    assert!(inplace.findings.iter().any(|f| f
        .fix
        .as_deref()
        .unwrap_or("")
        .contains("Site Repair Wizard")));
    let clean = evaluate(site(
        json!({"site_server_os": "Windows Server 2008 Standard SP2 x64",
        "site_server_os_upgraded_from": "none"}),
    ));
    expect("clean install", &clean, Verdict::Ready, &[]);

    let paths: &[(&str, &str, Verdict)] = &[
        (
            "SQL Server 2005",
            "SQL Server 2008 Standard SP1 x64",
            Verdict::Ready,
        ),
        (
            "SQL Server 2005",
            "SQL Server 2008 R2 Enterprise RTM x64",
            Verdict::Ready,
        ),
        (
            "SQL Server 2008",
            "SQL Server 2008 R2 Standard RTM x86",
            Verdict::Ready,
        ),
        (
            "SQL Server 2000",
            "SQL Server 2005 Standard SP2 x86",
            Verdict::NotReady,
        ),
        (
            "SQL Server 2008 R2",
            "SQL Server 2012 Standard x64",
            Verdict::NotReady,
        ),
    ];
    for (from, to, verdict) in paths {
        let e = evaluate(site(
            json!({"sql_upgraded_from": from, "sql": to, "site_kbs": ["KB955262"]}),
        ));
        let rules: &[&str] = if *verdict == Verdict::NotReady {
            &["SQL-UPGRADE"]
        } else {
            &[]
        };
        // SQL 2000 → 2005 fails the path; SQL 2012 also fails the table.
        assert_eq!(e.verdict, *verdict, "{from} -> {to}: {e:#?}");
        for rule in rules {
            assert!(rule_ids(&e).contains(rule), "{from} -> {to}");
        }
    }
}

// ----------------------------------------------------------- The issue example

#[test]
fn issue_example_record_is_ready() {
    let e = evaluate(json!({"target": "10.0.0.5",
       "amt": {"version": "5.2.10.1023", "provisioning_state": "pre"},
       "host": {"os": "Microsoft Windows XP Professional", "service_pack": "Service Pack 3", "architecture": "32-bit",
                "edition": "Professional", "server_core": false, "rras_running": false, "ics_enabled": false,
                "inband_provisioning": true},
       "site": {"mode": "native", "console_os": "Windows XP Professional SP3", "service_point_os": "Windows Server 2003 SP2",
                "service_point_kbs": ["KB942841"], "sql": "SQL Server 2005 Enterprise SP2 x64",
                "upgrade_from": "SMS 2003 SP3", "release": "complete"}}));
    expect("issue example", &e, Verdict::Ready, &[]);
    assert!(e.not_checked.contains(&"SITE-SERVER-OS".to_string()));
}

#[test]
fn conflicting_os_facts_never_pass() {
    let mut record = host(
        "Microsoft Windows XP Professional",
        "Service Pack 3",
        "32-bit",
    );
    record["host"]["edition"] = json!("Home Edition");
    let e = evaluate(record);
    assert_eq!(e.verdict, Verdict::Unknown, "{e:#?}");
    assert!(e
        .missing
        .contains(&"host.edition (conflicting values)".to_string()));
}

#[test]
fn a_record_without_host_is_judged_on_amt_and_site() {
    let e = evaluate(site(
        json!({"mode": "native", "console_os": "Windows XP Professional SP3"}),
    ));
    expect("no host", &e, Verdict::Ready, &[]);
    for rule in [
        "CLIENT-OS",
        "HOST-W2K-NATIVE",
        "HOST-RRAS",
        "HOST-INBAND-SERVER",
    ] {
        assert!(e.not_checked.iter().any(|r| r == rule), "{rule}: {e:#?}");
    }
}
