//! Tests of the command line itself: they need the clap `Command`, which
//! lives in the binary, so they run in the binary's own test harness
//! (`cargo test --bin amtready`).

mod docs;
mod help;
