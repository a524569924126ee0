//! The rules engine: the Configuration Manager 2007 SP1 support matrix (the
//! seed) as data, and pure checks that turn a facts record into findings and
//! a verdict. Nothing here touches the network.
//!
//! - `policy`: the data file (`configmgr-2007-sp1.toml`, embedded; others via
//!   [`Policy::load`]), one entry per seed statement, each with its seed
//!   section; each `[[rule]]` typed once into [`RuleParams`].
//! - `data`: what a check may read of its policy (the tables, the notes)
//!   and of its rule (id, source, severity, fix), below the checks.
//! - `checks`: one file per kind of check, each with its own tests (the
//!   recipe for adding one is at the top of that module).
//! - `fact`: [`FactId`], the facts a rule can read.
//! - `candidates`: deciding a rule over every value an unknown fact could take.
//! - `parsed`: a record's strings parsed once, before any rule runs.
//! - `version`: AMT versions (2 to 4 parts, numeric, prefix-aware), from [`crate::version`].
//! - `os`, `sql`, `product`: OS, SQL Server and product strings into
//!   typed values.
//! - `engine`: the driver, [`Policy::evaluate`] and [`Policy::evaluate_site`].
//! - `judge`: one run's judge: the site judged once, each host with the
//!   site facts its rules need ([`Judge`]).
//! - [`provisioning_cert`]: the CERT-* rules on a provisioning certificate
//!   chain given by the user, alone and against each device.
//! - `finding`: [`Finding`], [`Verdict`], [`Evaluation`], [`exit_code`].
//!
//! Verdicts: `not_ready` if any error finding; otherwise `unknown` if a rule
//! lacked a fact it needed (listed in `missing`); otherwise `ready`. The AMT
//! version is always needed. Every other rule runs when at least one of its
//! trigger facts is present and is otherwise listed in `not_checked`. A fact
//! that is absent is expanded to every value it could take; the rule passes
//! only if all of them pass, fails only if all fail, and is undecided (the
//! fact is reported missing) otherwise. Removing a fact therefore never turns
//! a failure into a pass.

pub(crate) mod amt_status;
pub(crate) mod candidates;
pub(crate) mod checks;
pub(crate) mod data;
pub(crate) mod engine;
pub(crate) mod fact;
pub(crate) mod finding;
pub(crate) mod judge;
pub(crate) mod operational;
pub(crate) mod os;
pub(crate) mod parsed;
pub(crate) mod policy;
pub(crate) mod policy_set;
pub(crate) mod product;
pub mod provisioning_cert;
pub(crate) mod sql;
pub(crate) mod version;

pub use crate::os::{parse_os, Arch, Os, OsFamily};
pub use crate::version::{RangeFit, Version};
pub use amt_status::amt_status;
pub use checks::{RuleKind, RuleParams};
pub use data::SiteRole;
pub use fact::{FactId, FactUse};
pub use finding::{exit_code, Evaluation, Finding, Severity, Verdict};
pub use judge::Judge;
pub use policy::{Policy, PolicyError, RuleInfo, BUILTINS, MAX_MESSAGE_CHARS};
pub use policy_set::{PolicySet, DEFAULT_POLICIES};
pub use product::{parse_upgrade_source, Release};
pub use sql::parse_sql;
