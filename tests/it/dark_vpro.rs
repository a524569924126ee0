//! Dark vPro machines, end to end in a private network namespace: an
//! inventory export in Configuration Manager's column names (v_R_System,
//! v_GS_AMT_AGENT, v_RA_System_IPAddresses) joined to a scan of a /28 whose
//! devices are mock AMTs and whose other addresses either refuse or are
//! dropped by nftables. The computers the inventory says have AMT and that
//! answer nowhere come out as `dark` records, listed in every format without
//! `--all`, counted in the summary line, failing the run, and replayed from
//! the saved scan; the ones that answer are compared with the inventory.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Output;

use mock_amt::{start_fleet, DeviceConfig, Profile};
use serde_json::Value;

use crate::common::{self, amtready, records, PASSWORD_VAR};
use crate::netns_field::enter_netns_from;

/// 127.13.0.8-15 are dropped: addresses that stay silent, as an estate's
/// switched-off or firewalled computers do.
const DROP: &str = "table inet dark {\n chain in {\n  type filter hook input priority 0;\n  \
                    ip daddr 127.13.0.8-127.13.0.15 drop\n }\n}\n";

/// The export as the README's query gives it. PC-AGREE and PC-STALE are
/// mock devices (5.2.10 `pre`; 7.1.91 `post`); PC-MULTI answers at .3 and is
/// silent at .12; PC-ON's address refuses (nothing listens at .5); PC-DARK1
/// and PC-DARK2 are dropped; PC-NOAMT is dropped but discovery found no
/// AMT on it.
const INVENTORY: &str = "\
ResourceID,Netbios_Name0,IP_Addresses0,AMTStatus0,AMTFullVersion0,AMT0,BuildNumber0,ProvisionState0,ProvisionMode0,ZTCEnabled0,TLSMode0,Sku0\r
16777217,PC-AGREE,127.13.0.1,2,5.2.10,5.2.10,1023,0,1,1,0,16392\r
16777218,PC-STALE,127.13.0.2,2,6.0.3,6.0.3,1234,0,1,1,0,16392\r
16777219,PC-MULTI,127.13.0.3,2,5.2.10,5.2.10,1023,0,1,1,0,16392\r
16777219,PC-MULTI,127.13.0.12,2,5.2.10,5.2.10,1023,0,1,1,0,16392\r
16777220,PC-ON,127.13.0.5,,,5.2.10,1023,0,1,1,0,16392\r
16777221,PC-DARK1,127.13.0.9,2,5.2.10,5.2.10,1023,0,1,1,0,16392\r
16777222,PC-DARK2,127.13.0.10,3,6.0.3,,,,,,,\r
16777222,PC-DARK2,127.13.0.11,3,6.0.3,,,,,,,\r
16777223,PC-NOAMT,127.13.0.13,0,,,,,,,,\r
";

fn scan(inventory: &str, format: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "scan",
        "127.13.0.0/28",
        "--host-facts",
        inventory,
        "--format",
        format,
        "--password-env",
        PASSWORD_VAR,
        "--tls",
        "off",
        "--rmcp",
        "off",
        "--max-rtt",
        "0.5",
        "--no-progress",
        // The namespace has no DNS server: the provisioning path is not what this test judges.
        "--no-dns",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, unshare -n, ip and nft: CI runs it"]
async fn inventory_amt_computers_that_stay_silent_are_dark_in_every_format() {
    const NAME: &str = "inventory_amt_computers_that_stay_silent_are_dark_in_every_format";
    if !enter_netns_from(module_path!(), NAME, DROP) {
        return;
    }
    let device = |last: u8, profile: &str| {
        let listen = SocketAddr::from(([127, 13, 0, last], 16992));
        DeviceConfig::new(Profile::builtin(profile).unwrap(), listen).without_tls()
    };
    let fleet = start_fleet(vec![
        device(1, "amt-5.2.10"),
        device(2, "amt-7.1"),
        device(3, "amt-5.2.10"),
    ])
    .await
    .expect("the fleet starts in the namespace");
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("amt-inventory.csv");
    std::fs::write(&inventory, INVENTORY).unwrap();
    let inventory = inventory.display().to_string();
    let saved = dir.path().join("saved.jsonl");

    let out = amtready(scan(
        &inventory,
        "jsonl",
        &["--output", saved.to_str().unwrap()],
    ))
    .await;
    let (_, stderr) = text(&out);
    let recs = records(&out);
    let by_target: BTreeMap<&str, &Value> = recs
        .iter()
        .map(|r| (r["target"].as_str().unwrap(), r))
        .collect();
    let status = |t: &str| by_target.get(t).map(|r| r["status"].as_str().unwrap());

    // Without --all: the devices and the dark computers, one record each.
    assert_eq!(status("127.13.0.1"), Some("ok"), "{stderr}");
    assert_eq!(status("127.13.0.2"), Some("ok"));
    assert_eq!(status("127.13.0.3"), Some("ok"));
    assert_eq!(status("127.13.0.5"), Some("dark"), "{recs:#?}");
    assert_eq!(status("127.13.0.9"), Some("dark"));
    assert_eq!(status("127.13.0.10"), Some("dark"));
    // PC-MULTI answered at .3; PC-NOAMT is no AMT computer; .11 is in
    // PC-DARK2's record.
    for t in ["127.13.0.11", "127.13.0.12", "127.13.0.13"] {
        assert_eq!(status(t), None, "{t}: {recs:#?}");
    }
    assert_eq!(recs.len(), 6, "{recs:#?}");

    // The evidence and the causes travel with the record.
    let dark1 = &by_target["127.13.0.9"]["inventory_amt"];
    assert_eq!(dark1["computer"], "PC-DARK1");
    assert_eq!(dark1["version"], "5.2.10");
    assert_eq!(dark1["amt_status"], "not_provisioned");
    assert_eq!(dark1["silent_addresses"], serde_json::json!(["127.13.0.9"]));
    let causes: Vec<&str> = dark1["likely_causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(causes.len(), 4, "{causes:?}");
    assert!(causes[0].starts_with("AMT disabled in the BIOS"));
    assert!(causes[1].contains("provisioning period ran out"));
    assert!(causes[2].contains("power policy"));
    assert!(causes[3].contains("firewall"));
    let dark2 = &by_target["127.13.0.10"]["inventory_amt"];
    assert_eq!(
        dark2["silent_addresses"],
        serde_json::json!(["127.13.0.10", "127.13.0.11"])
    );
    // Provisioned: the provisioning period is no cause.
    assert_eq!(dark2["likely_causes"].as_array().unwrap().len(), 3);
    // PC-ON's address refused: it is on, so power is no cause.
    let on = &by_target["127.13.0.5"];
    assert!(
        on["error"].as_str().unwrap().contains("TCP 16992 refused"),
        "{on}"
    );
    assert!(!on["inventory_amt"]["likely_causes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c.as_str().unwrap().contains("power policy")));
    assert_eq!(on["configmgr"]["amt_status"], "not_supported");

    // Where both answer, the inventory is compared with the device.
    assert!(
        !common::rules_of(by_target["127.13.0.1"]).contains(&"PROV-INVENTORY-AGREES".into()),
        "{}",
        by_target["127.13.0.1"]
    );
    let stale = by_target["127.13.0.2"];
    let messages: Vec<&str> = stale["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "PROV-INVENTORY-AGREES")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 4, "{stale}");
    assert!(messages
        .iter()
        .any(|m| m.contains("SMS_AMTObject.AMT says AMT 6.0.3, the device says 7.1.91")));
    assert!(messages
        .iter()
        .any(|m| m.contains("AMTFullVersion says AMT 6.0.3")));
    assert!(messages
        .iter()
        .any(|m| m.contains("ProvisionState says `pre`, the device says `post`")));
    assert!(messages
        .iter()
        .any(|m| m.contains("AMTStatus) says Not Provisioned (2)")));

    // The summary line, and a run with a dark computer is never green.
    assert!(
        stderr.contains("inventory says AMT: 6; answered: 3; dark: 3"),
        "{stderr}"
    );
    assert!(stderr.contains("3 dark"), "{stderr}");
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    // The dark computers' rows are their records; the row that matched
    // nothing is the computer the inventory does not vouch for.
    assert!(
        stderr.contains("1 row(s) matched no AMT device: line 10 (127.13.0.13, PC-NOAMT)"),
        "{stderr}"
    );
    // Not even when only unread devices fail the run.
    let out = amtready(scan(&inventory, "jsonl", &["--fail-on", "unread"])).await;
    assert_eq!(out.status.code(), Some(4));

    // Every format lists the dark computers without --all, and no silent
    // address.
    for format in ["table", "csv", "markdown", "junit", "html", "json"] {
        let out = amtready(scan(&inventory, format, &[])).await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(4), "{format}: {stderr}");
        let listed = |t: &str| {
            stdout
                .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .any(|w| w == t)
        };
        for t in ["127.13.0.5", "127.13.0.9", "127.13.0.10"] {
            assert!(listed(t), "{format}: {t} not listed\n{stdout}");
        }
        assert!(!listed("127.13.0.13"), "{format}: a silent address listed");
        assert!(
            stdout.contains("PC-DARK1"),
            "{format}: no evidence\n{stdout}"
        );
        assert!(
            stdout.contains("AMT disabled in the BIOS"),
            "{format}: no causes\n{stdout}"
        );
        assert!(stdout.to_lowercase().contains("dark"), "{format}");
        if format == "junit" {
            // Three failing cases of type dark, not skips.
            assert_eq!(stdout.matches("type=\"dark\"").count(), 3, "{stdout}");
        }
    }

    // The saved scan replays them: same records, never ready.
    let replay = |command: &str| {
        let args: Vec<String> = [command, saved.to_str().unwrap(), "--format", "jsonl"]
            .map(String::from)
            .to_vec();
        amtready(args)
    };
    for command in ["report", "validate"] {
        let out = replay(command).await;
        let (_, stderr) = text(&out);
        let again = records(&out);
        let dark: Vec<&str> = again
            .iter()
            .filter(|r| r["status"] == "dark")
            .map(|r| r["target"].as_str().unwrap())
            .collect();
        assert_eq!(
            dark,
            ["127.13.0.5", "127.13.0.9", "127.13.0.10"],
            "{command}: {stderr}"
        );
        assert!(again
            .iter()
            .all(|r| r["status"] != "dark" || r["verdict"].is_null()));
        assert_ne!(
            out.status.code(),
            Some(0),
            "{command}: a dark computer is never green"
        );
    }
    fleet.shutdown().await;
}
