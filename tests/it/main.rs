//! The integration tests, in one binary: each file was its own test crate,
//! and every one of them linked the whole library and mock-amt again, so a
//! fresh `cargo test --workspace` spent most of its time linking (the layout
//! hickory-dns uses for the same reason).
//!
//! Run one file's tests with a filter on its module: `cargo test --test it hostile::`.

mod common;

mod captures;
mod cert;
mod client_vs_mock;
mod dark_vpro;
mod dns_path;
mod e2e_scan;
mod e2e_tls;
mod files;
mod first_contact;
mod handshakes_per_host;
mod host_facts;
mod hostile;
mod html_browser;
mod layering;
mod netns_field;
mod no_false_green;
mod out_of_band;
mod progress_tty;
mod provisioning;
mod record_bounds;
mod report_formats;
mod report_memory;
mod requests_per_host;
mod rmcp;
mod rules_props;
mod rules_table;
mod scan_plan_cli;
mod site_rollout;
mod tls_vs_mock;
mod validate_cli;
mod winrm;
