//! One file per kind of check. A check compares the typed facts of one record
//! with its rule's typed parameters and the policy's tables, and returns
//! findings and the facts it lacked. No check touches the network.
//!
//! # Adding a rule
//!
//! 1. Write `src/rules/checks/my_check.rs`:
//!    - `pub struct Params` deriving `Debug, Clone, serde::Deserialize` with
//!      `#[serde(deny_unknown_fields)]`: the fields a `[[rule]]` of this kind
//!      may carry besides the common ones (`id`, `kind`, `checks`,
//!      `seed_section`, `severity`, `fix`). Any other field in the policy file
//!      is then an error naming its line.
//!    - `impl Check for Params`: [`Check::facts`] names the [`FactId`]s read and
//!      those whose presence makes the rule apply; [`Check::run`] reads them
//!      from [`Ctx::parsed`] (parsed once per record) and returns an
//!      [`Outcome`]. Use [`crate::rules::candidates::decide`] when a fact may
//!      be unknown, so a missing fact never turns a failure into a pass.
//!    - `#[cfg(test)] mod tests` using [`testkit`]: the rule alone, on records.
//! 2. Add one line to the `checks!` list below: `"my-check" => MyCheck(my_check)`.
//! 3. Add a `[[rule]]` with `kind = "my-check"` and its source (document and
//!    section) to a policy file under `src/rules/`.

use serde::Deserialize;

use super::data::{Note, PolicyData, RuleHead, SiteRole};
use super::fact::{FactId, FactUse};
use super::finding::Finding;
use super::parsed::Parsed;
use crate::cert::{ChainFacts, DeviceView};
use crate::facts::ProvisioningState;
use crate::rules::candidates::{Concrete, Judged};

/// What a check needs: the rule being run, its policy, and the record.
pub struct Ctx<'a> {
    pub policy: &'a PolicyData,
    pub rule: &'a RuleHead,
    pub parsed: &'a Parsed<'a>,
    /// The provisioning certificate being judged, for the `cert-*` checks;
    /// `None` when a record is judged on its own.
    pub cert: Option<&'a CertSubject<'a>>,
}

/// What the `cert-*` checks judge: a provisioning certificate chain given by
/// the user (`cert`, `scan --provisioning-cert`), the time its validity is
/// judged at, and the device it must provision, if any.
#[derive(Debug, Clone, Copy)]
pub struct CertSubject<'a> {
    pub chain: &'a ChainFacts,
    /// Seconds since the epoch.
    pub now: i64,
    /// `None` when the chain is judged alone.
    pub device: Option<&'a DeviceView>,
    /// The devices' DNS suffix as the user gave it, over the device's own.
    pub domain: Option<&'a str>,
}

/// The `missing` entry of a `cert-*` rule run without a certificate.
pub(crate) fn no_certificate() -> Outcome {
    Outcome::missing(vec![
        "provisioning certificate (give --provisioning-cert)".into()
    ])
}

/// The result of one rule on one record.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// `missing` entries: facts the rule needed and did not have.
    pub missing: Vec<String>,
}

impl Outcome {
    pub fn pass() -> Outcome {
        Outcome::default()
    }
    pub fn findings(findings: Vec<Finding>) -> Outcome {
        Outcome {
            findings,
            missing: Vec::new(),
        }
    }
    pub fn missing(missing: Vec<String>) -> Outcome {
        Outcome {
            findings: Vec::new(),
            missing,
        }
    }
    pub fn from_judged(judged: Judged) -> Outcome {
        match judged {
            Judged::Decided(findings) => Outcome::findings(findings),
            Judged::Undecided(missing) => Outcome::missing(missing),
        }
    }
}

/// A kind of check, implemented by its parameters.
pub trait Check {
    /// Which facts the check reads, and which make it apply.
    fn facts(&self) -> FactUse;
    /// Judges one record.
    fn run(&self, cx: &Ctx<'_>) -> Outcome;
}

impl Ctx<'_> {
    /// A finding of this rule with its severity, source and fix.
    pub fn finding(&self, message: String) -> Finding {
        Finding {
            rule: self.rule.id.clone(),
            severity: self.rule.severity,
            message,
            seed_section: self.rule.seed_section.clone(),
            document: self.document(),
            fix: self.rule.fix.clone(),
        }
    }

    /// The rule's source document, or its policy's.
    pub fn document(&self) -> Option<String> {
        self.rule
            .document
            .clone()
            .or_else(|| self.policy.document.clone())
    }

    /// Findings of the notes `ids` that apply to `c` (and `role`) and are not
    /// satisfied by a hotfix in `kbs`.
    pub fn note_findings(
        &self,
        ids: &[String],
        c: &Concrete,
        role: Option<SiteRole>,
        kbs: Option<&[String]>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        for note in ids.iter().filter_map(|id| self.policy.note(id)) {
            if !note.applies(c, role) {
                continue;
            }
            if note.kb.as_deref().is_some_and(|kb| kb_present(kbs, kb)) {
                continue;
            }
            out.push(Finding {
                rule: note.rule.clone(),
                severity: note.severity,
                // The family only: the note must read the same for every
                // candidate service pack or architecture it holds for.
                message: format!("{}: {}", c.family.display_name(), note.message),
                seed_section: note.seed_section.clone(),
                document: self.policy.document.clone(),
                fix: note.fix.clone(),
            });
        }
        out
    }

    /// Findings of SQL Server notes, prefixed with the configuration.
    pub fn sql_notes(
        &self,
        ids: &[String],
        describe: &str,
        kbs: Option<&[String]>,
    ) -> Vec<Finding> {
        ids.iter()
            .filter_map(|id| self.policy.note(id))
            .filter(|note: &&Note| !note.kb.as_deref().is_some_and(|kb| kb_present(kbs, kb)))
            .map(|note| Finding {
                rule: note.rule.clone(),
                severity: note.severity,
                message: format!("{describe}: {}", note.message),
                seed_section: note.seed_section.clone(),
                document: self.policy.document.clone(),
                fix: note.fix.clone(),
            })
            .collect()
    }
}

/// The provisioning states a record allows (every one when it was not read),
/// and the `missing` entry that names the state when it decides nothing.
pub(crate) fn provisioning_states(cx: &Ctx<'_>) -> (Vec<ProvisioningState>, Vec<String>) {
    match cx
        .parsed
        .record
        .amt
        .as_ref()
        .and_then(|a| a.provisioning_state)
    {
        Some(state) => (vec![state], Vec::new()),
        None => (
            vec![
                ProvisioningState::Pre,
                ProvisioningState::In,
                ProvisioningState::Post,
            ],
            vec![FactId::AmtProvisioningState.missing()],
        ),
    }
}

/// Whether hotfix `kb` is among `kbs` (`KB942841`, `kb942841` and `942841` match).
pub(crate) fn kb_present(kbs: Option<&[String]>, kb: &str) -> bool {
    let wanted = kb.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    kbs.unwrap_or_default().iter().any(|have| {
        let have = have.trim();
        have.eq_ignore_ascii_case(kb)
            || have.trim_start_matches(|c: char| c.is_ascii_alphabetic()) == wanted
    })
}

/// Words that mean "no previous version" in an `..._upgraded_from` fact.
pub(crate) fn is_none_word(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "none" | "no" | "clean" | "new" | "n/a"
    )
}

/// Bounds user text echoed into messages.
pub(crate) fn clip(text: &str) -> &str {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// Declares the check modules and, from the same list, the [`RuleKind`] and
/// [`RuleParams`] enums with one variant per kind.
macro_rules! checks {
    ($($kind:literal => $variant:ident($module:ident)),* $(,)?) => {
        $(pub(crate) mod $module;)*

        /// Which check a rule runs, named in the policy file by `kind`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RuleKind {
            $(#[doc = concat!("`", $kind, "`")] $variant,)*
        }

        impl RuleKind {
            /// Every kind, in the order of the list.
            pub const ALL: &'static [RuleKind] = &[$(RuleKind::$variant),*];

            /// The name written in policy files.
            pub fn name(self) -> &'static str {
                match self {
                    $(RuleKind::$variant => $kind,)*
                }
            }

            /// Looks a kind up by its policy-file name.
            pub fn parse(name: &str) -> Option<RuleKind> {
                RuleKind::ALL.iter().copied().find(|kind| kind.name() == name)
            }
        }

        /// A rule's parameters, typed: one variant per kind.
        #[derive(Debug, Clone)]
        pub enum RuleParams {
            $(#[doc = concat!("The parameters of a `", $kind, "` rule.")] $variant($module::Params),)*
        }

        impl RuleParams {
            /// Reads the parameters of a rule of `kind`; a field the kind does
            /// not take is an error.
            pub fn deserialize<'de, D: serde::Deserializer<'de>>(
                kind: RuleKind,
                deserializer: D,
            ) -> Result<RuleParams, D::Error> {
                match kind {
                    $(RuleKind::$variant => {
                        $module::Params::deserialize(deserializer).map(RuleParams::$variant)
                    })*
                }
            }

            /// The kind these parameters belong to.
            pub fn kind(&self) -> RuleKind {
                match self {
                    $(RuleParams::$variant(_) => RuleKind::$variant,)*
                }
            }

            /// The check itself.
            pub fn check(&self) -> &dyn Check {
                match self {
                    $(RuleParams::$variant(params) => params,)*
                }
            }
        }
    };
}

checks! {
    "amt-firmware" => AmtFirmware(amt_firmware),
    "os-recognised" => OsRecognised(os_recognised),
    "client-os" => ClientOs(client_os),
    "mobile-os" => MobileOs(mobile_os),
    "inband-provisioning" => InbandProvisioning(inband_provisioning),
    "rras" => Rras(rras),
    "server-core-oob" => ServerCoreOob(server_core_oob),
    "native-mode-os" => NativeModeOs(native_mode_os),
    "console-min-service-pack" => ConsoleMinServicePack(console_min_service_pack),
    "console-colocation" => ConsoleColocation(console_colocation),
    "site-role-os" => SiteRoleOs(site_role_os),
    "sql-database" => SqlDatabase(sql_database),
    "sql-arch-excluded" => SqlArchExcluded(sql_arch_excluded),
    "upgrade-path" => UpgradePath(upgrade_path),
    "new-install-release" => NewInstallRelease(new_install_release),
    "site-server-os-upgrade" => SiteServerOsUpgrade(site_server_os_upgrade),
    "sql-inplace-upgrade" => SqlInplaceUpgrade(sql_inplace_upgrade),
    "amt-status" => AmtStatus(amt_status),
    "provisioning-state" => ProvisioningState(provisioning_state),
    "provisioning-mode" => ProvisioningMode(provisioning_mode),
    "network-interface" => NetworkInterface(network_interface),
    "inventory-agrees" => InventoryAgrees(inventory_agrees),
    "remote-configuration" => RemoteConfiguration(remote_configuration),
    "provisioning-root-hash" => ProvisioningRootHash(provisioning_root_hash),
    "dns-suffix" => DnsSuffix(dns_suffix),
    "provisioning-password" => ProvisioningPassword(provisioning_password),
    "firmware-advisory" => FirmwareAdvisory(firmware_advisory),
    "tls-certificate-validity" => TlsCertificateValidity(tls_certificate_validity),
    "tls-certificate-name" => TlsCertificateName(tls_certificate_name),
    "tls-certificate-issuer" => TlsCertificateIssuer(tls_certificate_issuer),
    "tls-legacy" => TlsLegacy(tls_legacy),
    "tls-ca-key-size" => TlsCaKeySize(tls_ca_key_size),
    "cert-leaf-usage" => CertLeafUsage(cert_leaf_usage),
    "cert-validity" => CertValidity(cert_validity),
    "cert-ca-key-size" => CertCaKeySize(cert_ca_key_size),
    "cert-root-hash" => CertRootHash(cert_root_hash),
    "cert-domain" => CertDomain(cert_domain),
    "provision-server-dns" => ProvisionServerDns(provision_server_dns),
    "amt-fqdn-dns" => AmtFqdnDns(amt_fqdn_dns),
    "amt-reverse-dns" => AmtReverseDns(amt_reverse_dns),
    "amt-certificate-dns" => AmtCertificateDns(amt_certificate_dns),
    "wired-only" => WiredOnly(wired_only),
    "power-package" => PowerPackage(power_package),
    "addressing" => Addressing(addressing),
    "clock-skew" => ClockSkew(clock_skew),
}

mod dns_path;

/// Running one rule alone, for the checks' unit tests.
#[cfg(test)]
pub(crate) mod testkit {
    use super::{Ctx, Outcome};
    use crate::facts::FactsRecord;
    use crate::rules::parsed::Parsed;
    use crate::rules::Policy;

    /// Runs rule `id` of `policy` on `record` (JSON), whether or not it
    /// would apply; returns the outcome.
    pub(crate) fn run_in(policy: &Policy, id: &str, record: serde_json::Value) -> Outcome {
        let record: FactsRecord = serde_json::from_value(record).expect("test record");
        let rule = policy
            .rules()
            .find(|rule| rule.id == id)
            .unwrap_or_else(|| panic!("no rule {id}"));
        let parsed = Parsed::new(policy, &record);
        let cx = Ctx {
            policy,
            rule,
            parsed: &parsed,
            cert: None,
        };
        rule.params.check().run(&cx)
    }

    /// Runs rule `id` of the built-in seed policy.
    pub(crate) fn run(id: &str, record: serde_json::Value) -> Outcome {
        run_in(crate::rules::Policy::builtin(), id, record)
    }

    /// The rule ids of an outcome's findings.
    pub(crate) fn rules(outcome: &Outcome) -> Vec<&str> {
        outcome.findings.iter().map(|f| f.rule.as_str()).collect()
    }

    /// A sound chain: a leaf for `leaf.corp.example.com` with the AMT usage,
    /// and its self-signed root `Root` (SHA-1 `aaaa`, SHA-256 `bbbb`), both
    /// valid from the epoch for ten years, 2048-bit keys.
    pub(crate) fn chain() -> crate::cert::ChainFacts {
        let cert = |subject: &str, issuer: &str, sha1: &str, sha256: &str| crate::cert::CertInfo {
            subject: subject.into(),
            issuer: issuer.into(),
            self_signed: subject == issuer,
            is_ca: subject == issuer,
            not_before: 0,
            not_after: 10 * 365 * 86_400,
            key_bits: Some(2048),
            sha1: sha1.into(),
            sha256: sha256.into(),
            sha384: String::new(),
        };
        crate::cert::ChainFacts {
            certs: vec![
                cert("CN=leaf.corp.example.com", "CN=Root", "1111", "2222"),
                cert("CN=Root", "CN=Root", "aaaa", "bbbb"),
            ],
            leaf_server_auth: true,
            leaf_amt_oid: true,
            leaf_ous: Vec::new(),
            leaf_names: vec!["leaf.corp.example.com".into()],
        }
    }

    /// Runs certificate rule `id` on `chain` (and `device`) at 1,000,000
    /// seconds past the epoch.
    pub(crate) fn run_cert(
        id: &str,
        chain: &crate::cert::ChainFacts,
        device: Option<&crate::cert::DeviceView>,
    ) -> Outcome {
        let policy = crate::rules::provisioning_cert::policy();
        let rule = policy
            .rules()
            .find(|rule| rule.id == id)
            .unwrap_or_else(|| panic!("no rule {id}"));
        let record = FactsRecord::default();
        let parsed = Parsed::new(policy, &record);
        let subject = super::CertSubject {
            chain,
            now: 1_000_000,
            device,
            domain: None,
        };
        let cx = Ctx {
            policy,
            rule,
            parsed: &parsed,
            cert: Some(&subject),
        };
        rule.params.check().run(&cx)
    }
}
