//! A policy's data besides its checks: the tables and notes the checks
//! consult ([`PolicyData`]) and what each rule says of itself ([`RuleHead`]).
//!
//! They sit below [`super::checks`] and [`super::parsed`], which read them,
//! and [`super::policy`] puts them together with each rule's typed check; so
//! the checks never import the policy that holds them.

use serde::{Deserialize, Serialize};

use super::candidates::Concrete;
use super::finding::Severity;
use super::os::{Arch, OsFamily, SqlVersion, UpgradeSource};
use super::version::Version;

/// A site system role: a column of the seed's two site-system tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteRole {
    /// The primary site server: a site with its own site database.
    PrimarySiteServer,
    /// A secondary site server: no site database, administered through its parent primary site.
    SecondarySiteServer,
    /// Management point: where clients get policy and send inventory and state.
    ManagementPoint,
    /// Standard distribution point: serves package content to clients.
    StandardDistributionPoint,
    /// Branch distribution point: package content at a branch office, on a client or server OS.
    BranchDistributionPoint,
    /// Server locator point: finds a client its site where Active Directory cannot.
    ServerLocatorPoint,
    /// The SQL Server computer holding the site database.
    SiteDatabaseServer,
    /// Fallback status point: takes state messages from clients that cannot reach their
    /// management point.
    FallbackStatusPoint,
    /// The Configuration Manager console (the out of band management console comes with it).
    Console,
    /// SMS Provider: the WMI layer the console reads and writes the site database through.
    SmsProvider,
    /// Software update point: the WSUS server software updates are synchronised from.
    SoftwareUpdatePoint,
    /// State migration point: keeps user state during an operating system deployment.
    StateMigrationPoint,
    /// Reporting point: serves the site's web reports.
    ReportingPoint,
    /// System Health Validator point: checks Network Access Protection health statements.
    SystemHealthValidatorPoint,
    /// PXE service point: starts operating system deployments over the network.
    PxeServicePoint,
    /// Out of band service point: discovers, provisions and manages AMT computers.
    OutOfBandServicePoint,
    /// Asset Intelligence synchronization point: keeps the Asset Intelligence catalog current.
    AssetIntelligenceSynchronizationPoint,
}

impl SiteRole {
    /// The columns of "Core Site System Requirements", in the seed's order.
    pub const CORE: [SiteRole; 10] = [
        SiteRole::PrimarySiteServer,
        SiteRole::SecondarySiteServer,
        SiteRole::ManagementPoint,
        SiteRole::StandardDistributionPoint,
        SiteRole::BranchDistributionPoint,
        SiteRole::ServerLocatorPoint,
        SiteRole::SiteDatabaseServer,
        SiteRole::FallbackStatusPoint,
        SiteRole::Console,
        SiteRole::SmsProvider,
    ];
    /// The columns of "Feature-Specific Site System Requirements", in order.
    pub const FEATURE: [SiteRole; 7] = [
        SiteRole::SoftwareUpdatePoint,
        SiteRole::StateMigrationPoint,
        SiteRole::ReportingPoint,
        SiteRole::SystemHealthValidatorPoint,
        SiteRole::PxeServicePoint,
        SiteRole::OutOfBandServicePoint,
        SiteRole::AssetIntelligenceSynchronizationPoint,
    ];

    /// Which table holds this role's column.
    pub fn table(self) -> SiteTable {
        if SiteRole::CORE.contains(&self) {
            SiteTable::Core
        } else {
            SiteTable::Feature
        }
    }

    /// The kebab-case name used in files and facts.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteRole::PrimarySiteServer => "primary-site-server",
            SiteRole::SecondarySiteServer => "secondary-site-server",
            SiteRole::ManagementPoint => "management-point",
            SiteRole::StandardDistributionPoint => "standard-distribution-point",
            SiteRole::BranchDistributionPoint => "branch-distribution-point",
            SiteRole::ServerLocatorPoint => "server-locator-point",
            SiteRole::SiteDatabaseServer => "site-database-server",
            SiteRole::FallbackStatusPoint => "fallback-status-point",
            SiteRole::Console => "console",
            SiteRole::SmsProvider => "sms-provider",
            SiteRole::SoftwareUpdatePoint => "software-update-point",
            SiteRole::StateMigrationPoint => "state-migration-point",
            SiteRole::ReportingPoint => "reporting-point",
            SiteRole::SystemHealthValidatorPoint => "system-health-validator-point",
            SiteRole::PxeServicePoint => "pxe-service-point",
            SiteRole::OutOfBandServicePoint => "out-of-band-service-point",
            SiteRole::AssetIntelligenceSynchronizationPoint => {
                "asset-intelligence-synchronization-point"
            }
        }
    }

    /// Reads a role name as written in facts (`out-of-band-service-point`,
    /// `out_of_band_service_point`, case-insensitive).
    pub fn parse(text: &str) -> Option<SiteRole> {
        let wanted = text.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        SiteRole::CORE
            .iter()
            .chain(SiteRole::FEATURE.iter())
            .copied()
            .find(|role| role.as_str() == wanted)
    }
}

/// The two site-system tables of the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteTable {
    Core,
    Feature,
}

impl SiteTable {
    /// Number of role columns in the seed's table.
    pub fn columns(self) -> usize {
        match self {
            SiteTable::Core => SiteRole::CORE.len(),
            SiteTable::Feature => SiteRole::FEATURE.len(),
        }
    }
}

/// What a rule says of itself: the part of a `[[rule]]` every kind has, which
/// every finding of the rule carries.
#[derive(Debug, Clone)]
pub struct RuleHead {
    /// Stable id used in findings (`AMT-FW-VERSION`).
    pub id: String,
    /// What the rule checks, in one line.
    pub checks: String,
    /// The document section it comes from.
    pub seed_section: String,
    /// The document, when it is not the policy's own.
    pub document: Option<String>,
    /// Severity of the finding when the rule fails.
    pub severity: Severity,
    /// What to do when it fails, where the source says.
    pub fix: Option<String>,
    /// Line of the rule's first field in its file.
    pub line: usize,
}

/// Which OS installs a table row covers. An empty list means "any".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsMatch {
    pub family: OsFamily,
    #[serde(default)]
    pub editions: Vec<String>,
    #[serde(default)]
    pub service_packs: Vec<u8>,
    #[serde(default)]
    pub archs: Vec<Arch>,
}

impl OsMatch {
    /// Whether the row covers this install.
    pub fn matches(&self, c: &Concrete) -> bool {
        self.family == c.family
            && (self.editions.is_empty()
                || c.edition
                    .as_ref()
                    .is_some_and(|e| self.editions.contains(e)))
            && (self.service_packs.is_empty() || self.service_packs.contains(&c.service_pack))
            && (self.archs.is_empty() || self.archs.contains(&c.arch))
    }
}

/// A supported AMT firmware range `[from, below)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmtRange {
    pub from: Version,
    pub below: Version,
    /// The seed line this range encodes.
    pub seed: String,
}

/// A footnote or note: a condition on a matched row that adds a finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub id: String,
    /// Rule id its finding carries.
    pub rule: String,
    pub severity: Severity,
    pub seed_section: String,
    pub message: String,
    #[serde(default)]
    pub fix: Option<String>,
    /// A hotfix that satisfies the note when present on the machine.
    #[serde(default)]
    pub kb: Option<String>,
    #[serde(default)]
    pub when_families: Vec<OsFamily>,
    #[serde(default)]
    pub when_editions: Vec<String>,
    #[serde(default)]
    pub when_service_packs: Vec<u8>,
    #[serde(default)]
    pub when_archs: Vec<Arch>,
    #[serde(default)]
    pub when_server_core: Option<bool>,
    #[serde(default)]
    pub when_roles: Vec<SiteRole>,
}

impl Note {
    /// Whether the note's conditions hold for this install (and role).
    pub fn applies(&self, c: &Concrete, role: Option<SiteRole>) -> bool {
        (self.when_families.is_empty() || self.when_families.contains(&c.family))
            && (self.when_editions.is_empty()
                || c.edition
                    .as_ref()
                    .is_some_and(|e| self.when_editions.contains(e)))
            && (self.when_service_packs.is_empty()
                || self.when_service_packs.contains(&c.service_pack))
            && (self.when_archs.is_empty() || self.when_archs.contains(&c.arch))
            && self
                .when_server_core
                .is_none_or(|core| core == c.server_core)
            && (self.when_roles.is_empty() || role.is_some_and(|r| self.when_roles.contains(&r)))
    }
}

/// A row of the computer client OS table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientOsRow {
    pub os: OsMatch,
    #[serde(default)]
    pub notes: Vec<String>,
    pub seed: String,
}

/// A row of the mobile device client table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MobileOsRow {
    pub os: OsMatch,
    /// Supported only in mixed-mode sites (Windows CE 4.2).
    #[serde(default)]
    pub mixed_mode_only: bool,
    #[serde(default)]
    pub notes: Vec<String>,
    pub seed: String,
}

/// A row of one of the two site-system tables, reconstructed from its Ø marks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteOsRow {
    pub table: SiteTable,
    pub os: OsMatch,
    /// The columns we read as supported.
    pub supported_roles: Vec<SiteRole>,
    /// How many Ø the seed's row carries; must equal columns − supported.
    pub unsupported_marks: toml::Spanned<usize>,
    #[serde(default)]
    pub notes: Vec<String>,
    pub seed: String,
    /// How we read the row, and how sure we are.
    pub reading: String,
}

/// A row of the SQL Server site database table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlRow {
    pub version: SqlVersion,
    pub editions: Vec<String>,
    pub service_packs: Vec<u8>,
    pub archs: Vec<Arch>,
    #[serde(default)]
    pub notes: Vec<String>,
    pub seed: String,
}

/// One cell group of the upgrade table: from one product, per release.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeRow {
    pub from: UpgradeSource,
    /// `None` is the seed's "n/a".
    pub eval: Option<bool>,
    pub sp: bool,
    pub complete: bool,
    pub seed: String,
}

/// A supported in-place SQL Server upgrade.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlUpgrade {
    pub from: SqlVersion,
    pub to: SqlVersion,
    #[serde(default)]
    pub notes: Vec<String>,
    pub seed: String,
}
/// A policy's name, source and tables: everything but its rules.
#[derive(Debug, Clone)]
pub struct PolicyData {
    pub name: String,
    pub description: String,
    /// The source document most rules cite (a rule may name its own).
    pub document: Option<String>,
    pub amt_supported: Vec<AmtRange>,
    pub notes: Vec<Note>,
    pub client_os: Vec<ClientOsRow>,
    pub mobile_os: Vec<MobileOsRow>,
    pub site_os: Vec<SiteOsRow>,
    pub sql: Vec<SqlRow>,
    pub upgrade: Vec<UpgradeRow>,
    pub sql_upgrade: Vec<SqlUpgrade>,
}

impl PolicyData {
    /// Looks up a note by id.
    pub fn note(&self, id: &str) -> Option<&Note> {
        self.notes.iter().find(|note| note.id == id)
    }
}
