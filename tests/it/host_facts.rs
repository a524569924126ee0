//! End-to-end: host facts from an inventory export joined to a scan of
//! mock AMT devices (`--host-facts`), and the strict reading of facts records.
//! Devices listen on 127.12.x.y (this suite's loopback range), each on its
//! own address so the join by IP address is a real one.

use crate::common;
use common::{amtready, records, rules_of, scan_args};

use std::net::SocketAddr;

use mock_amt::{start_fleet, DeviceConfig, Profile};
use serde_json::Value;

/// The inventory in Configuration Manager's view column names, as the
/// query in docs/user-guide.md produces it: one row per computer, address and service.
fn cm_csv(a: &[SocketAddr]) -> String {
    let ip = |i: usize| a[i].ip().to_string();
    format!(
        "Netbios_Name0,Resource_Domain_OR_Workgr0,IP_Addresses0,Caption0,CSDVersion0,SystemType0,OperatingSystemSKU0,Name0,State0,StartMode0,inband_provisioning\r\n\
PC-RRAS,CORP,{},Microsoft Windows XP Professional,Service Pack 3,X86-based PC,,RemoteAccess,Running,Auto,false\r\n\
PC-RRAS,CORP,{},Microsoft Windows XP Professional,Service Pack 3,X86-based PC,,SharedAccess,Stopped,Disabled,false\r\n\
SRV-CORE,CORP,{},Microsoft Windows Server 2008 Enterprise,Service Pack 2,x64-based PC,14,RemoteAccess,Stopped,Disabled,false\r\n\
SRV-CORE,CORP,{},Microsoft Windows Server 2008 Enterprise,Service Pack 2,x64-based PC,14,SharedAccess,Stopped,Disabled,false\r\n\
TABLET,CORP,{},Microsoft Windows XP Tablet PC Edition,Service Pack 2,X86-based PC,,RemoteAccess,Stopped,Manual,true\r\n\
WS-AMT71,CORP,,Microsoft Windows 7 Enterprise,Service Pack 1,x64-based PC,4,SharedAccess,Stopped,Manual,false\r\n\
WS-AMT71,CORP,,Microsoft Windows 7 Enterprise,Service Pack 1,x64-based PC,4,RemoteAccess,Stopped,Manual,false\r\n\
GONE,CORP,127.12.1.99,Microsoft Windows XP Professional,Service Pack 3,X86-based PC,,RemoteAccess,Stopped,Manual,false\r\n\
BROKEN,CORP,127.12.1.300,Microsoft Windows XP Professional,Service Pack 3,X86-based PC,,RemoteAccess,Stopped,Manual,false\r\n",
        ip(0),
        ip(0),
        ip(1),
        ip(1),
        ip(2)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_rows_in_configuration_manager_columns_decide_the_host_rules() {
    let profiles = [
        "amt-5.2.10",
        "amt-5.2.10",
        "amt-5.2.10",
        "amt-7.1",
        "amt-5.2.10",
    ];
    let configs = profiles
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let listen = SocketAddr::from(([127, 12, 1, 1 + i as u8], 0));
            DeviceConfig::new(Profile::builtin(name).unwrap(), listen).without_tls()
        })
        .collect();
    let fleet = start_fleet(configs).await.expect("fleet on 127.12.1.x");
    let addrs: Vec<SocketAddr> = fleet.devices.iter().map(|d| d.addr()).collect();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("inventory.csv");
    std::fs::write(&csv, cm_csv(&addrs)).unwrap();

    let args = scan_args(&addrs, &["--host-facts".into(), csv.display().to_string()]);
    let out = amtready(args).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let recs = records(&out);
    assert_eq!(recs.len(), 5, "{stderr}");
    let rec = |i: usize| {
        recs.iter()
            .find(|r| r["target"] == addrs[i].to_string())
            .unwrap_or_else(|| panic!("no record for {}", addrs[i]))
    };

    // RRAS running on XP: its error.
    assert!(rules_of(rec(0)).contains(&"HOST-RRAS".into()), "{}", rec(0));
    assert_eq!(rec(0)["host"]["rras_running"], true);
    assert_eq!(rec(0)["host"]["sources"]["rras_running"], "inventory");
    // Server 2008 with a Server Core SKU: its error.
    assert!(
        rules_of(rec(1)).contains(&"HOST-OOB-SERVER-CORE".into()),
        "{}",
        rec(1)
    );
    // XP Tablet PC with in-band provisioning: its error.
    assert!(
        rules_of(rec(2)).contains(&"HOST-INBAND-OS".into()),
        "{}",
        rec(2)
    );
    // Joined by AMT's own hostname and domain (no address in the row):
    // Windows 7 with both services stopped leaves no host rule unchecked.
    let w7 = rec(3);
    assert_eq!(w7["host"]["os"], "Microsoft Windows 7 Enterprise", "{w7}");
    let unchecked: Vec<&str> = w7["not_checked"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        unchecked
            .iter()
            .all(|r| !r.starts_with("HOST-") && *r != "CLIENT-OS"),
        "{unchecked:?}"
    );
    assert!(
        !w7["missing"].as_array().is_some_and(|m| m
            .iter()
            .any(|m| m.as_str().unwrap_or("").starts_with("host."))),
        "{w7}"
    );
    // The device without a row has no host facts, and says so: its host
    // rules are missing, so it is never quietly ready.
    let bare = rec(4);
    assert!(bare["host"]["os"].is_null(), "{bare}");
    assert!(
        bare["host"]["unread"].to_string().contains("no row of"),
        "{bare}"
    );
    assert_eq!(bare["verdict"], "unknown", "{bare}");

    // Unmatched rows and devices, and the bad row with its line.
    assert!(
        stderr.contains("line 10: `127.12.1.300` is not an IP address"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 row(s) matched no AMT device: line 9 (127.12.1.99, GONE)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("1 device(s) had no inventory row: {}", addrs[4])),
        "{stderr}"
    );

    // The same export joined to the saved scan by `validate` gives the same verdicts.
    let saved = dir.path().join("scan.jsonl");
    let bare: Vec<String> = recs
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("host");
            r.to_string()
        })
        .collect();
    std::fs::write(&saved, bare.join("\n")).unwrap();
    let out = amtready(vec![
        "validate".into(),
        saved.display().to_string(),
        "--format".into(),
        "jsonl".into(),
        "--host-facts".into(),
        csv.display().to_string(),
    ])
    .await;
    let again = records(&out);
    for r in &recs {
        let a = again.iter().find(|a| a["target"] == r["target"]).unwrap();
        assert_eq!(a["verdict"], r["verdict"], "{}", r["target"]);
        assert_eq!(rules_of(a), rules_of(r), "{}", r["target"]);
    }
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_key_in_a_facts_record_is_named_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("facts.jsonl");
    std::fs::write(
        &file,
        "{\"target\": \"10.0.0.5\", \"amt\": {\"version\": \"5.2.10\"}, \"hostt\": {\"os\": \"xp-sp3\"}}\n\
         {\"target\": \"10.0.0.6\", \"amt\": {\"version\": \"5.2.10\"}, \"host\": {\"Caption\": \"Microsoft Windows XP Professional\", \"CSDVersion\": \"Service Pack 3\"}}\n",
    )
    .unwrap();
    let out = amtready(vec![
        "validate".into(),
        file.display().to_string(),
        "--format".into(),
        "jsonl".into(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(":1: bad facts record: unknown key `hostt` (did you mean `host`?)"),
        "{stderr}"
    );
    // WMI names are aliases: the second record is read.
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["host"]["os"], "Microsoft Windows XP Professional");
    assert_eq!(recs[0]["host"]["service_pack"], "Service Pack 3");
}
