//! mock-amt's integration tests, in one binary (a module per former file):
//! one link of the mock instead of one per file.

mod common;

mod classes;
mod cli;
mod peers;
mod scale;
mod schemas;
mod tls_peers;
mod wire;
