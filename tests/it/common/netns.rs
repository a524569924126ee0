//! Running a test inside a private network namespace of its own: the test
//! re-runs itself under `unshare -n`, where it may bind fixed addresses, drop
//! packets and run a DNS server without anything leaving the machine.

use std::process::Command;

/// Set in the re-run inside the namespace.
const INSIDE: &str = "AMTREADY_IN_NETNS";

/// What the namespace needs: `unshare -n` runs `probe` (its argv) there with
/// success, else the test skips loudly saying `why` (and fails under
/// `AMTREADY_REQUIRE_PEERS=1`, as CI sets it).
pub(crate) struct Needs<'a> {
    pub(crate) probe: &'a [&'a str],
    pub(crate) why: &'a str,
}

/// Outside the namespace: re-runs `test` of the module `module_path` (its
/// `module_path!()`) inside a new one and returns false. Inside: brings
/// loopback up, runs `setup` and returns true.
pub(crate) fn enter(
    module_path: &str,
    test: &str,
    needs: &[Needs<'_>],
    setup: impl FnOnce(),
) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        let up = Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status();
        assert!(up.is_ok_and(|s| s.success()), "ip link set lo up");
        setup();
        return true;
    }
    let require = std::env::var("AMTREADY_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    let missing = needs.iter().find(|need| {
        !Command::new("unshare")
            .arg("-n")
            .args(need.probe)
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if let Some(need) = missing {
        assert!(!require, "{} but AMTREADY_REQUIRE_PEERS=1", need.why);
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPING {test}: {}; this test did NOT run ***\n",
            need.why
        );
        return false;
    }
    let exe = std::env::current_exe().unwrap();
    // The harness names a test by its path below the crate: this module's.
    let module = module_path.split_once("::").map_or("", |(_, rest)| rest);
    let qualified = format!("{module}::{test}");
    let out = Command::new("unshare")
        .arg("-n")
        .arg(exe)
        // The test is #[ignore]d for plain runs; the inner run must not skip it.
        .args([
            "--exact",
            &qualified,
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INSIDE, "1")
        .output()
        .expect("unshare runs the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} inside the namespace failed:\n{stdout}\n{stderr}"
    );
    false
}
