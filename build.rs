//! Marks `tests/it/captures.rs` ignored (a visible skip, not a silent pass) when
//! the real AMT wire captures are not there to read. With
//! `AMTREADY_REQUIRE_CAPTURES=1` (as `.ci/run` sets it) a missing directory
//! stops the build instead.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(amt_captures_missing)");
    println!("cargo::rerun-if-env-changed=AMTREADY_CAPTURES_DIR");
    println!("cargo::rerun-if-env-changed=AMTREADY_REQUIRE_CAPTURES");
    println!("cargo::rerun-if-changed=build.rs");
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let dir = std::env::var_os("AMTREADY_CAPTURES_DIR")
        .map(PathBuf::from)
        .or_else(|| manifest.map(|m| m.join("../shared/captures")))
        .unwrap_or_else(|| Path::new("../shared/captures").to_path_buf());
    // Watch the nearest existing ancestor, so captures that appear later
    // are noticed without rebuilding on every run.
    let mut watch = dir.clone();
    while !watch.exists() {
        if !watch.pop() {
            break;
        }
    }
    println!("cargo::rerun-if-changed={}", watch.display());
    if dir.join("wsman").is_dir() {
        return;
    }
    if std::env::var("AMTREADY_REQUIRE_CAPTURES").as_deref() == Ok("1") {
        panic!(
            "AMTREADY_REQUIRE_CAPTURES=1 but there are no AMT captures at {}",
            dir.display()
        );
    }
    println!("cargo::rustc-cfg=amt_captures_missing");
    println!(
        "cargo::warning=no AMT captures at {}: tests/it/captures.rs is marked ignored",
        dir.display()
    );
}
