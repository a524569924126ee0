//! One run's judge: the site is judged once, and each host by the rules that
//! read its AMT or host facts, with the site facts those rules need.
//!
//! The seed's constraints are of three kinds (the device's, the host's, the
//! site's) and some rules join them: Windows 2000 clients are not supported
//! in a native-mode site, so `HOST-W2K-NATIVE` needs `host.os` and
//! `site.mode`. A rule whose facts are all site facts is a site rule: it is
//! judged once per run ([`Judge::judge_site`]) and reported once. Every other
//! rule is a host rule ([`Judge::judge_host`]); it sees the run's site facts,
//! but only those that host rules read, so a site fact never yields a finding
//! on every host. OS recognition is both: on the site's OS strings in the
//! site's judgement, on the host's OS in each host's.

use std::borrow::Cow;
use std::sync::Arc;

use super::fact::FactId;
use super::finding::Evaluation;
use super::policy::{RuleInfo, RuleKind};
use super::policy_set::PolicySet;
use crate::facts::{FactsRecord, SiteFacts};

/// The rules judged on each host: every rule but those whose facts are all
/// site facts (those are [`super::engine::site_scope`], judged once).
pub(crate) fn host_scope(rule: &RuleInfo) -> bool {
    rule.kind() == RuleKind::OsRecognised || !rule.facts().reads.iter().all(|f| f.is_site())
}

/// The site facts the host rules of `policies` read (`site.mode`).
pub(crate) fn site_facts_for_hosts(policies: &PolicySet) -> Vec<FactId> {
    let mut out: Vec<FactId> = Vec::new();
    for (_, rule) in policies.rules() {
        if rule.kind() == RuleKind::OsRecognised || !host_scope(rule) {
            continue;
        }
        for fact in rule.facts().reads {
            if fact.is_site() && !out.contains(fact) {
                out.push(*fact);
            }
        }
    }
    out
}

/// `site` with only the facts in `keep`.
pub(crate) fn keep_only(site: &SiteFacts, keep: &[FactId]) -> SiteFacts {
    let mut out = SiteFacts::default();
    for fact in keep {
        match fact {
            FactId::SiteMode => out.mode = site.mode.clone(),
            FactId::SiteConsoleOs => out.console_os = site.console_os.clone(),
            FactId::SiteServicePointOs => out.service_point_os = site.service_point_os.clone(),
            FactId::SiteServicePointKbs => out.service_point_kbs = site.service_point_kbs.clone(),
            FactId::SiteSql => out.sql = site.sql.clone(),
            FactId::SiteUpgradeFrom => out.upgrade_from = site.upgrade_from.clone(),
            FactId::SiteRelease => out.release = site.release.clone(),
            FactId::SiteSiteServerOs => out.site_server_os = site.site_server_os.clone(),
            FactId::SiteSiteServerOsUpgradedFrom => {
                out.site_server_os_upgraded_from = site.site_server_os_upgraded_from.clone()
            }
            FactId::SiteSqlUpgradedFrom => out.sql_upgraded_from = site.sql_upgraded_from.clone(),
            FactId::SiteConsoleRoles => out.console_roles = site.console_roles.clone(),
            FactId::SiteRoleOs => out.role_os = site.role_os.clone(),
            FactId::SiteKbs => out.site_kbs = site.site_kbs.clone(),
            // Not site facts: nothing to keep.
            _ => {}
        }
    }
    out
}

/// The policies and the run's site facts, shared by every host of a run.
#[derive(Debug, Clone)]
pub struct Judge {
    policy: Arc<PolicySet>,
    site: Option<SiteFacts>,
    /// The part of `site` host rules read.
    host_site: Option<SiteFacts>,
}

impl Judge {
    /// A judge for `policy`; `site` is the run's site facts, if any.
    pub fn new(policy: Arc<PolicySet>, site: Option<SiteFacts>) -> Judge {
        let mut judge = Judge {
            policy,
            site: None,
            host_site: None,
        };
        judge.set_site(site);
        judge
    }

    /// The policies this judge applies, built-in and `--policy` ones.
    pub fn policy(&self) -> &PolicySet {
        &self.policy
    }

    /// The run's site facts.
    pub fn site(&self) -> Option<&SiteFacts> {
        self.site.as_ref()
    }

    /// Sets the run's site facts (a saved scan names its site as it is read).
    pub fn set_site(&mut self, site: Option<SiteFacts>) {
        let site = site.filter(|s| !s.is_empty());
        self.host_site = site.as_ref().map(|s| {
            let keep = site_facts_for_hosts(&self.policy);
            keep_only(s, &keep)
        });
        self.site = site;
    }

    /// A judge of the same policy for another site.
    pub fn with_site(&self, site: Option<SiteFacts>) -> Judge {
        Judge::new(Arc::clone(&self.policy), site)
    }

    /// The site's rules on the site's facts; `None` when the run has none.
    pub fn judge_site(&self) -> Option<Evaluation> {
        self.site
            .as_ref()
            .map(|site| self.policy.evaluate_site(site))
    }

    /// One host's rules, with the run's site facts in place of any the
    /// record carries itself.
    pub fn judge_host(&self, record: &FactsRecord) -> Evaluation {
        let record = if record.site == self.host_site {
            Cow::Borrowed(record)
        } else {
            Cow::Owned(FactsRecord {
                site: self.host_site.clone(),
                ..record.clone()
            })
        };
        let mut evaluation = Evaluation::empty();
        for policy in self.policy.policies() {
            policy.evaluate_into(&record, &mut evaluation, host_scope);
        }
        evaluation.conclude(&record);
        evaluation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Verdict;
    use serde_json::json;

    fn judge(site: serde_json::Value) -> Judge {
        Judge::new(
            Arc::new(PolicySet::default_set()),
            Some(serde_json::from_value(site).unwrap()),
        )
    }

    fn record(value: serde_json::Value) -> FactsRecord {
        serde_json::from_value(value).unwrap()
    }

    fn rules(e: &Evaluation) -> Vec<&str> {
        e.findings.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn a_host_rule_gets_the_site_fact_it_needs_from_the_run() {
        let j = judge(json!({"mode": "native", "console_os": "Windows XP Professional SP2"}));
        let w2k = record(json!({"target": "a", "amt": {"version": "5.2.10"},
            "host": {"os": "Windows 2000 Professional SP4"}}));
        let e = j.judge_host(&w2k);
        assert_eq!(e.verdict, Verdict::NotReady);
        assert!(rules(&e).contains(&"HOST-W2K-NATIVE"), "{e:?}");
        // The console's finding is the site's, never the host's.
        assert!(!rules(&e).iter().any(|r| r.starts_with("CONSOLE")), "{e:?}");
        assert!(
            !e.not_checked.iter().any(|r| r.starts_with("SITE-")),
            "{e:?}"
        );
        let site = j.judge_site().unwrap();
        assert!(!rules(&site).contains(&"HOST-W2K-NATIVE"));
        assert_eq!(site.verdict, Verdict::NotReady, "{site:?}");
    }

    #[test]
    fn an_unrecognised_site_os_is_a_site_finding_only() {
        let j = judge(json!({"console_os": "OS/2 Warp"}));
        let host = record(json!({"target": "a", "amt": {"version": "5.2.10"},
            "host": {"os": "Windows XP Professional SP3"}}));
        let e = j.judge_host(&host);
        // AMT 5.2.10 carries INTEL-SA-00112 (no fix for 3.x to 8.x), and
        // nothing of the site's.
        assert_eq!(rules(&e), ["INTEL-SA-00112"], "{e:?}");
        assert!(rules(&j.judge_site().unwrap()).contains(&"HOST-OS-UNKNOWN"));
    }

    #[test]
    fn a_record_s_own_site_is_replaced_by_the_run_s() {
        let j = judge(json!({"mode": "mixed"}));
        let w2k = record(json!({"target": "a", "amt": {"version": "5.2.10"},
            "host": {"os": "Windows 2000 Professional SP4"}, "site": {"mode": "native"}}));
        assert!(!rules(&j.judge_host(&w2k)).contains(&"HOST-W2K-NATIVE"));
        let none = j.with_site(None);
        assert!(none.judge_site().is_none());
        // Without a site mode the native-mode rule cannot be decided.
        let e = none.judge_host(&w2k);
        assert!(e.missing.iter().any(|m| m == "site.mode"), "{e:?}");
    }

    #[test]
    fn host_rules_read_only_the_site_mode() {
        assert_eq!(
            site_facts_for_hosts(&PolicySet::default_set()),
            [FactId::SiteMode],
            "a new joint rule needs its site fact kept in keep_only"
        );
    }
}
