//! The `mock-amt` binary: listing profiles, one device, a fleet from a file.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_mock-amt");

/// Kills the child (by its own handle) when the test ends, pass or fail.
struct Running(Child);
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and returns the `listening ADDR PROFILE` lines it prints.
fn start(args: &[&str], expected_lines: usize) -> (Running, Vec<(String, String)>) {
    start_with_env(args, &[], expected_lines)
}

fn start_with_env(
    args: &[&str],
    env: &[(&str, &str)],
    expected_lines: usize,
) -> (Running, Vec<(String, String)>) {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mock-amt");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines().take(expected_lines) {
        let line = line.unwrap();
        let mut parts = line.split(' ');
        let kind = parts.next();
        assert!(
            matches!(kind, Some("listening" | "listening-tls")),
            "{line}"
        );
        lines.push((
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        ));
    }
    assert_eq!(lines.len(), expected_lines);
    (running, lines)
}

fn get_root(addr: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn list_profiles_prints_every_builtin() {
    let out = Command::new(BIN).arg("--list-profiles").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        mock_amt::Profile::builtin_names()
    );
}

#[tokio::test]
async fn one_device_with_a_password_from_the_environment() {
    let (_p, lines) = start_with_env(
        &[
            "--profile",
            "amt-11.8",
            "--listen",
            "127.0.0.1",
            "--http-port",
            "0",
            "--password-env",
            "MOCK_AMT_TEST_PW",
        ],
        &[("MOCK_AMT_TEST_PW", "Secr3t!pw")],
        1,
    );
    assert_eq!(lines[0].1, "amt-11.8");
    let reply = get_root(&lines[0].0);
    assert!(reply.starts_with("HTTP/1.1 303 See Other\r\n"), "{reply}");
    assert!(reply.contains("Server: AMT\r\n"));
    let addr: std::net::SocketAddr = lines[0].0.parse().unwrap();
    let get = common::envelope(
        common::GET,
        &format!("{}AMT_GeneralSettings", common::AMT),
        "uuid:1",
        "",
    );
    let mut default_pw = common::DigestClient::new("admin", mock_amt::DEFAULT_PASSWORD);
    assert_eq!(
        default_pw
            .post(addr, "/wsman", "", get.as_bytes())
            .await
            .status,
        401
    );
    let mut env_pw = common::DigestClient::new("admin", "Secr3t!pw");
    assert_eq!(
        env_pw.post(addr, "/wsman", "", get.as_bytes()).await.status,
        200
    );
}

#[test]
fn fleet_round_robin_and_fleet_file() {
    let (_p, lines) = start(
        &[
            "fleet",
            "--count",
            "4",
            "--first",
            "127.88.0.1",
            "--http-port",
            "0",
            "--profiles",
            "amt-5.2.10,amt-7.1",
        ],
        4,
    );
    let names: Vec<&str> = lines.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(names, ["amt-5.2.10", "amt-7.1", "amt-5.2.10", "amt-7.1"]);
    assert!(lines[3].0.starts_with("127.88.0.4:"));
    assert!(get_root(&lines[1].0).contains("Technology 7.1.91\r\n"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.txt");
    std::fs::write(
        &file,
        "# address profile\n127.88.1.1 amt-16.1\n127.88.1.2 amt-3.2.1\n",
    )
    .unwrap();
    let (_q, lines) = start(
        &[
            "fleet",
            "--fleet-file",
            file.to_str().unwrap(),
            "--http-port",
            "0",
        ],
        2,
    );
    assert_eq!(lines[0].1, "amt-16.1");
    assert!(lines[1].0.starts_with("127.88.1.2:"));
}

#[test]
fn refuses_non_loopback_without_the_flag() {
    let out = Command::new(BIN)
        .args(["--listen", "0.0.0.0", "--http-port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("non-loopback"));
    let out = Command::new(BIN)
        .args(["fleet", "--first", "10.1.0.1", "--count", "2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn toml_fleet_file_with_a_profile_loaded_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/amt-7.1.toml"),
    )
    .unwrap();
    let custom = builtin
        .replace("name = \"amt-7.1\"", "name = \"site-7.1\"")
        .replace("Technology 7.1.91\"", "Technology 7.1.92\"");
    let profile_path = dir.path().join("site-7.1.toml");
    std::fs::write(&profile_path, custom).unwrap();
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(
        &fleet,
        format!(
            "[[device]]\naddress = \"127.88.2.1\"\nprofile = {:?}\n\n[[device]]\naddress = \"127.88.2.2\"\nprofile = \"amt-11.8\"\n",
            profile_path.to_str().unwrap()
        ),
    )
    .unwrap();
    let (_p, lines) = start(
        &[
            "fleet",
            "--fleet-file",
            fleet.to_str().unwrap(),
            "--http-port",
            "0",
        ],
        2,
    );
    assert_eq!(lines[0].1, "site-7.1");
    assert!(get_root(&lines[0].0).contains("Technology 7.1.92\r\n"));
    assert_eq!(lines[1].1, "amt-11.8");
}
