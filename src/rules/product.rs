//! Configuration Manager product strings: what a site is upgraded from
//! (`SMS 2003 SP3`, `ConfigMgr 2007 SP1 Evaluation`) and which SP1 release
//! installs it (evaluation, service pack, complete).

use serde::{Deserialize, Serialize};

use crate::os::{has, service_pack_in, tokens};

/// The product a site is upgraded from (rows of the seed's upgrade table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradeSource {
    /// A new installation (no upgrade).
    NewInstall,
    /// SMS 2003 SP1.
    #[serde(rename = "sms-2003-sp1")]
    Sms2003Sp1,
    /// SMS 2003 SP2.
    #[serde(rename = "sms-2003-sp2")]
    Sms2003Sp2,
    /// SMS 2003 SP3.
    #[serde(rename = "sms-2003-sp3")]
    Sms2003Sp3,
    /// SMS 2003 without a service pack: not a row of the table.
    #[serde(rename = "sms-2003-rtm")]
    Sms2003Rtm,
    /// Configuration Manager 2007 (RTM).
    #[serde(rename = "cm-2007-rtm")]
    Cm2007Rtm,
    /// Configuration Manager 2007 Evaluation.
    #[serde(rename = "cm-2007-eval")]
    Cm2007Eval,
    /// Configuration Manager 2007 SP1 Evaluation.
    #[serde(rename = "cm-2007-sp1-eval")]
    Cm2007Sp1Eval,
}

/// Reads `SMS 2003 SP3`, `Configuration Manager 2007`, `ConfigMgr 2007 SP1 Evaluation`, `none`.
pub fn parse_upgrade_source(text: &str) -> Option<UpgradeSource> {
    let lower = text.to_ascii_lowercase();
    let t = tokens(&lower);
    if t.is_empty() || has(&t, "none") || has(&t, "new") || has(&t, "fresh") {
        return Some(UpgradeSource::NewInstall);
    }
    let eval = has(&t, "evaluation") || has(&t, "eval") || has(&t, "trial");
    if has(&t, "sms") || (has(&t, "2003") && !has(&t, "2007")) {
        return match service_pack_in(&t) {
            Some(1) => Some(UpgradeSource::Sms2003Sp1),
            Some(2) => Some(UpgradeSource::Sms2003Sp2),
            Some(3) => Some(UpgradeSource::Sms2003Sp3),
            Some(0) => Some(UpgradeSource::Sms2003Rtm),
            _ if has(&t, "2003") => None,
            _ => None,
        };
    }
    let cm = has(&t, "2007")
        && (has(&t, "configmgr") || has(&t, "configuration") || has(&t, "cm") || has(&t, "sccm"));
    if !cm {
        return None;
    }
    match (service_pack_in(&t), eval) {
        (Some(1), true) => Some(UpgradeSource::Cm2007Sp1Eval),
        (Some(0) | None, true) => Some(UpgradeSource::Cm2007Eval),
        (Some(0) | None, false) => Some(UpgradeSource::Cm2007Rtm),
        _ => None,
    }
}

/// The form of Configuration Manager 2007 SP1 being installed (columns of the upgrade table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Release {
    /// The seed's "evaluation release".
    Eval,
    /// The seed's "service pack release".
    Sp,
    /// The seed's "complete release".
    Complete,
}

impl Release {
    /// Reads `eval`, `evaluation`, `sp`, `service pack`, `complete`, `full`.
    pub fn parse(text: &str) -> Option<Release> {
        match text.trim().to_ascii_lowercase().as_str() {
            "eval" | "evaluation" => Some(Release::Eval),
            "sp" | "service pack" | "service-pack" | "servicepack" => Some(Release::Sp),
            "complete" | "full" => Some(Release::Complete),
            _ => None,
        }
    }

    /// Name as the seed's table heads it.
    pub fn display_name(self) -> &'static str {
        match self {
            Release::Eval => "evaluation release",
            Release::Sp => "service pack release",
            Release::Complete => "complete release",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products() {
        assert_eq!(
            parse_upgrade_source("SMS 2003 SP3"),
            Some(UpgradeSource::Sms2003Sp3)
        );
        assert_eq!(
            parse_upgrade_source("Configuration Manager 2007 SP1 Evaluation"),
            Some(UpgradeSource::Cm2007Sp1Eval)
        );
        assert_eq!(
            parse_upgrade_source("ConfigMgr 2007"),
            Some(UpgradeSource::Cm2007Rtm)
        );
        assert_eq!(
            parse_upgrade_source("none"),
            Some(UpgradeSource::NewInstall)
        );
        assert_eq!(Release::parse("Full"), Some(Release::Complete));
        assert_eq!(Release::parse("beta"), None);
    }
}
