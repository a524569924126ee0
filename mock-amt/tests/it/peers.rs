//! Proof that the mock speaks real protocol: third-party AMT clients against it.
//!
//! Each test is ignored in a plain `cargo test` (CI runs them with
//! `--include-ignored`); run, it skips with a loud message when its tool is
//! missing, and fails instead when `AMTREADY_REQUIRE_PEERS=1` (as CI sets it).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::time::Duration;

use mock_amt::{start_device, DeviceConfig, DeviceHandle, Profile, DEFAULT_PASSWORD};
use tokio::process::Command;

/// Real tools on a loaded 2-core machine: be generous.
const TOOL_DEADLINE: Duration = Duration::from_secs(180);

fn require_peers() -> bool {
    std::env::var("AMTREADY_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// Finds `tool` on PATH; `None` means "skip" (or panics in REQUIRE mode).
fn tool(name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if require_peers() {
            panic!("{name} is not installed but AMTREADY_REQUIRE_PEERS=1");
        }
        loud(&format!(
            "SKIPPING: `{name}` is not installed; this peer check did NOT run"
        ));
    }
    found
}

async fn start(profile: &str, listen: SocketAddr) -> std::io::Result<DeviceHandle> {
    start_device(DeviceConfig::new(
        Profile::builtin(profile).unwrap(),
        listen,
    ))
    .await
}

async fn run(mut cmd: Command, stdin: Option<&str>) -> (bool, String) {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn tool");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use tokio::io::AsyncWriteExt;
        pipe.write_all(input.as_bytes()).await.unwrap();
    }
    let out = tokio::time::timeout(TOOL_DEADLINE, child.wait_with_output())
        .await
        .expect("tool finished within the deadline")
        .expect("tool ran");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
#[ignore = "needs nmap: CI runs it"]
async fn nmap_names_the_service_and_version() {
    let Some(nmap) = tool("nmap") else { return };
    for profile in ["amt-7.1", "amt-15.0"] {
        let d = start(profile, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let version = d
            .profile()
            .server_header
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned();
        let mut cmd = Command::new(&nmap);
        cmd.args([
            "-Pn",
            "-sV",
            "-p",
            &d.addr().port().to_string(),
            "127.0.0.1",
        ]);
        let (ok, out) = run(cmd, None).await;
        assert!(ok, "{out}");
        assert!(
            out.contains("Intel Active Management Technology"),
            "{profile}: {out}"
        );
        assert!(
            out.contains(&version),
            "{profile}: expected {version} in {out}"
        );
        d.shutdown().await;
    }
}

#[tokio::test]
#[ignore = "needs amttool (amtterm): CI runs it"]
async fn amttool_reads_version_and_hostname_over_eoi() {
    let Some(amttool) = tool("amttool") else {
        return;
    };
    for profile in ["amt-5.2.10", "amt-7.1", "amt-2.6"] {
        let d = start(profile, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let p = d.profile().clone();
        let mut cmd = Command::new(&amttool);
        cmd.arg(format!("127.0.0.1:{}", d.addr().port()))
            .arg("info")
            .env("AMT_PASSWORD", DEFAULT_PASSWORD);
        let (ok, out) = run(cmd, None).await;
        assert!(ok, "{profile}: {out}");
        assert!(
            out.contains(&format!("AMT version:  {}", p.version)),
            "{profile}: {out}"
        );
        assert!(
            out.contains(&format!("Hostname:     {}.{}", p.hostname, p.domain)),
            "{profile}: {out}"
        );
        assert!(out.contains("Powerstate:   S0"), "{profile}: {out}");
        assert_eq!(d.stats().failed_auth, 0);
        d.shutdown().await;
    }
}

/// `amttool netinfo` enumerates the interfaces over EOI and prints each one's
/// settings: the mock's address comes back as the interface's.
#[tokio::test]
#[ignore = "needs amttool (amtterm): CI runs it"]
async fn amttool_netinfo_prints_the_mock_interface() {
    let Some(amttool) = tool("amttool") else {
        return;
    };
    let d = start("amt-7.1", "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut cmd = Command::new(&amttool);
    cmd.arg(format!("127.0.0.1:{}", d.addr().port()))
        .arg("netinfo")
        .env("AMT_PASSWORD", DEFAULT_PASSWORD);
    let (ok, out) = run(cmd, None).await;
    assert!(ok, "{out}");
    assert!(out.contains("Network Interface 0:"), "{out}");
    assert!(
        out.contains("LocalAddress                127.0.0.1"),
        "{out}"
    );
    assert!(
        out.contains("SubnetMask                  255.0.0.0"),
        "{out}"
    );
    assert!(
        out.contains("MACAddress                      00-15-17-"),
        "{out}"
    );
    assert!(
        out.contains("DhcpEnabled                     true"),
        "{out}"
    );
    d.shutdown().await;
}

#[tokio::test]
#[ignore = "needs amttool (amtterm): CI runs it"]
async fn amttool_with_a_wrong_password_is_counted() {
    let Some(amttool) = tool("amttool") else {
        return;
    };
    let d = start("amt-7.1", "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut cmd = Command::new(&amttool);
    cmd.arg(format!("127.0.0.1:{}", d.addr().port()))
        .arg("info")
        .env("AMT_PASSWORD", "wrong");
    let (_, out) = run(cmd, None).await;
    assert!(!out.contains("AMT version:  7.1.91"), "{out}");
    assert!(d.stats().failed_auth >= 1);
    d.shutdown().await;
}

/// amtctrl talks only to port 16992, so the device takes a loopback address
/// of its own: the first free one of `lasts` in 127.0.29.0/24 (one may be
/// taken), or `None` (skipped, or a panic in REQUIRE mode).
async fn amtctrl_device(
    profile: &str,
    lasts: std::ops::RangeInclusive<u8>,
) -> Option<DeviceHandle> {
    let mut last_err = None;
    for last in lasts {
        let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 29, last));
        match start(profile, SocketAddr::new(ip, 16992)).await {
            Ok(d) => return Some(d),
            Err(e) => last_err = Some(e),
        }
    }
    let msg = format!("no free 127.0.29.x:16992 for amtctrl: {last_err:?}");
    if require_peers() {
        panic!("{msg}");
    }
    loud(&format!("SKIPPING amtctrl check: {msg}"));
    None
}

/// Runs `amtctrl -p HOST COMMAND` with the password on stdin.
async fn amtctrl(tool: &std::path::Path, d: &DeviceHandle, command: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(tool);
    // -p reads the password from stdin when it is not a TTY, bypassing the host DB;
    // a temporary HOME keeps the user's ~/.config/amtctrl out of it.
    cmd.args(["-p", &d.addr().ip().to_string(), command])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path());
    let (ok, out) = run(cmd, Some(&format!("{DEFAULT_PASSWORD}\n"))).await;
    assert!(ok, "amtctrl {command}: {out}");
    out
}

#[tokio::test]
#[ignore = "needs amtctrl (PyPI amt): CI runs it"]
async fn amtctrl_reads_the_power_state_over_wsman() {
    let Some(tool) = tool("amtctrl") else {
        return;
    };
    let Some(d) = amtctrl_device("amt-15.0", 231..=235).await else {
        return;
    };
    let out = amtctrl(&tool, &d, "status").await;
    assert_eq!(out.trim(), "on", "PowerState 2 is `on` to amtctrl: {out}");
    assert!(d.stats().authenticated >= 1);
    d.shutdown().await;
}

#[tokio::test]
#[ignore = "needs amtctrl (PyPI amt): CI runs it"]
async fn amtctrl_powers_the_mock_off_and_on() {
    let Some(tool) = tool("amtctrl") else {
        return;
    };
    let Some(d) = amtctrl_device("amt-15.0", 236..=240).await else {
        return;
    };
    // amtctrl prints nothing when ReturnValue is 0, and the answer otherwise.
    let out = amtctrl(&tool, &d, "off").await;
    assert_eq!(out.trim(), "", "power off accepted: {out}");
    assert_eq!(amtctrl(&tool, &d, "status").await.trim(), "off");
    let out = amtctrl(&tool, &d, "reboot").await;
    assert!(
        out.contains("ReturnValue>2<"),
        "no power cycle of a machine that is off: {out}"
    );
    assert_eq!(amtctrl(&tool, &d, "on").await.trim(), "");
    assert_eq!(amtctrl(&tool, &d, "status").await.trim(), "on");
    let out = amtctrl(&tool, &d, "vncstatus").await;
    assert!(
        out.contains("Is5900PortEnabled>false<"),
        "amtctrl reads IPS_KVMRedirectionSettingData: {out}"
    );
    d.shutdown().await;
}

/// nmap's `http-vuln-cve2017-5689` runs on AMT's ports only, so each device
/// takes 16992 on an address of h13's loopback range (127.13.0.0/16).
async fn start_on_16992(profile: &str, first: u8) -> Option<DeviceHandle> {
    let mut last_err = None;
    for last in first..first.saturating_add(5) {
        let ip = IpAddr::V4(Ipv4Addr::new(127, 13, 17, last));
        match start(profile, SocketAddr::new(ip, 16992)).await {
            Ok(d) => return Some(d),
            Err(e) => last_err = Some(e),
        }
    }
    let msg = format!("no free 127.13.17.x:16992 for nmap: {last_err:?}");
    if require_peers() {
        panic!("{msg}");
    }
    loud(&format!("SKIPPING nmap CVE-2017-5689 check: {msg}"));
    None
}

/// The web UI as firmware serves it: nmap's CVE-2017-5689 script gets a
/// Digest 401 on `/index.htm`, then a 200 for an empty `response=""` from
/// the vulnerable build only.
#[tokio::test]
#[ignore = "needs nmap: CI runs it"]
async fn nmap_flags_cve_2017_5689_on_the_vulnerable_build_only() {
    let Some(nmap) = tool("nmap") else { return };
    for (profile, first, vulnerable) in [("amt-6.2", 10u8, true), ("amt-6.2.61", 20, false)] {
        let Some(d) = start_on_16992(profile, first).await else {
            return;
        };
        let mut cmd = Command::new(&nmap);
        cmd.args([
            "-Pn",
            "-n",
            "-p",
            "16992",
            "--script",
            "http-vuln-cve2017-5689",
            "--script-args",
            "vulns.showall",
            &d.addr().ip().to_string(),
        ]);
        let (ok, out) = run(cmd, None).await;
        assert!(ok, "{out}");
        assert!(
            out.contains("CVE-2017-5689"),
            "{profile}: the script ran: {out}"
        );
        if vulnerable {
            assert!(out.contains("State: VULNERABLE"), "{profile}: {out}");
        } else {
            assert!(out.contains("State: NOT VULNERABLE"), "{profile}: {out}");
        }
        d.shutdown().await;
    }
}

/// `amttool powerdown` and `powerup` go through EOI's RemoteControl, and the
/// state they leave is what `amttool info` (GetSystemPowerState) reads next.
#[tokio::test]
#[ignore = "needs amttool (amtterm): CI runs it"]
async fn amttool_powers_the_mock_down_and_up_over_eoi() {
    let Some(amttool) = tool("amttool") else {
        return;
    };
    let d = start("amt-7.1", "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let target = format!("127.0.0.1:{}", d.addr().port());
    let amttool_says = |args: &[&str], stdin: Option<&'static str>| {
        let mut cmd = Command::new(&amttool);
        cmd.arg(&target)
            .args(args)
            .env("AMT_PASSWORD", DEFAULT_PASSWORD);
        run(cmd, stdin)
    };
    for (command, state) in [("powerdown", "S5"), ("powerup", "S0")] {
        let (ok, out) = amttool_says(&[command], Some("y\n")).await;
        assert!(ok, "{command}: {out}");
        assert!(out.contains("pt_status: success"), "{command}: {out}");
        let (ok, out) = amttool_says(&["info"], None).await;
        assert!(ok, "info after {command}: {out}");
        assert!(
            out.contains(&format!("Powerstate:   {state}")),
            "after {command}: {out}"
        );
    }
    // Powering up a machine that is on does not fit its state.
    let (_, out) = amttool_says(&["powerup"], Some("y\n")).await;
    assert!(!out.contains("pt_status: success"), "{out}");
    assert_eq!(d.stats().failed_auth, 0);
    d.shutdown().await;
}

/// Dell's WS-Man shell client (Debian `wsl`, over wget for Digest) is a
/// generic WS-Management client that knows nothing of AMT: Identify answers on
/// firmware of 8.x and older (the reading `Profile::identify` takes), and an
/// Enumerate/Pull of AMT_GeneralSettings gives the profile's host name.
#[tokio::test]
#[ignore = "needs wsl (wslid, wslenum): CI runs it"]
async fn wsl_identifies_and_enumerates_over_digest() {
    let (Some(wslid), Some(wslenum)) = (tool("wslid"), tool("wslenum")) else {
        return;
    };
    // wsl asks for credentials through its environment and uses curl's Basic
    // unless told to use wget, whose --http-user answers a Digest challenge.
    let wsl = |program: &std::path::Path, scratch: &std::path::Path, port: u16| {
        let mut cmd = Command::new(program);
        cmd.current_dir(scratch)
            .env("WSAUTOMATED", "1")
            .env("WSNOSSL", "1")
            .env("USEWGET", "1")
            .env("KEEPHISTORY", "0")
            .env("OUTPREFIX", scratch)
            .env("WSENDPOINT", format!("127.0.0.1:{port}"))
            .env("WSUSER", "admin")
            .env("WSPASS", DEFAULT_PASSWORD);
        cmd
    };
    for profile in ["amt-5.2.10", "amt-11.8"] {
        let d = start(profile, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let p = d.profile().clone();
        let port = d.addr().port();
        let scratch = tempfile::tempdir().unwrap();

        let mut identify = wsl(&wslid, scratch.path(), port);
        identify.arg("check");
        let (ok, out) = run(identify, None).await;
        assert!(ok, "{profile}: {out}");
        let answer = std::fs::read_to_string(scratch.path().join("response.xml")).unwrap();
        assert!(
            answer.contains(&format!(">AMT {}<", p.version)),
            "{profile}: Identify gave {answer}"
        );

        let mut enumerate = wsl(&wslenum, scratch.path(), port);
        enumerate.arg("http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings");
        let (ok, out) = run(enumerate, None).await;
        assert!(ok, "{profile}: {out}");
        let answer = std::fs::read_to_string(scratch.path().join("response.xml")).unwrap();
        assert!(
            answer.contains(&format!(":HostName>{}<", p.hostname)),
            "{profile}: Pull gave {answer}"
        );
        assert_eq!(d.stats().failed_auth, 0, "{profile}");
        d.shutdown().await;
    }
}

/// Writes straight to the process's stderr: the test harness captures
/// `eprintln!` of passing tests, and a skipped check must not go unnoticed.
fn loud(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n!!!!! {msg} !!!!!\n");
}
