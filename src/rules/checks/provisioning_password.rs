//! `provisioning-password`: the password given to `scan`, which stands for
//! Configuration Manager's AMT Provisioning and Discovery Account, meets the
//! rules Configuration Manager enforces for that account: 8 to 32 characters,
//! at least one upper-case letter, lower-case letter, digit and symbol
//! (`! @ # $ % ^ & *`), and none of `:` `"` `_`. `scan` records only which
//! rules it breaks ([`password_problems`]); the password is never kept.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// The symbols that count as the required symbol character.
pub(crate) const SYMBOLS: &[char] = &['!', '@', '#', '$', '%', '^', '&', '*'];
/// Characters the account's password may not contain.
pub(crate) const FORBIDDEN: &[char] = &[':', '"', '_'];

/// The rules `password` breaks, in words that reveal nothing of it.
pub(crate) fn password_problems(password: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let length = password.chars().count();
    if length < 8 {
        problems.push("shorter than 8 characters".to_string());
    }
    if length > 32 {
        problems.push("longer than 32 characters".to_string());
    }
    type Test = fn(char) -> bool;
    let checks: [(&str, Test); 4] = [
        ("no upper-case letter", |c| c.is_ascii_uppercase()),
        ("no lower-case letter", |c| c.is_ascii_lowercase()),
        ("no digit", |c| c.is_ascii_digit()),
        ("no symbol from ! @ # $ % ^ & *", |c| SYMBOLS.contains(&c)),
    ];
    for (problem, test) in checks {
        if !password.chars().any(test) {
            problems.push(problem.to_string());
        }
    }
    if password.chars().any(|c| FORBIDDEN.contains(&c)) {
        problems.push("contains a forbidden character (: \" or _)".to_string());
    }
    problems
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::CredentialsPassword])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        match cx.parsed.record.credentials.as_ref() {
            None => Outcome::missing(vec![FactId::CredentialsPassword.missing()]),
            Some(c) if !c.password_given => Outcome::missing(vec![FactId::CredentialsPassword
                .missing_because("no password was given to scan")]),
            Some(c) if c.password_problems.is_empty() => Outcome::pass(),
            Some(c) => Outcome::findings(vec![cx.finding(format!(
                "the AMT provisioning account's password breaks Configuration Manager's rules: {}",
                c.password_problems.join("; ")
            ))]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use super::password_problems;
    use crate::rules::Policy;
    use serde_json::json;

    #[test]
    fn each_password_rule() {
        assert!(password_problems("P@ssw0rd").is_empty());
        assert_eq!(password_problems("P@ssw0r"), ["shorter than 8 characters"]);
        assert_eq!(password_problems(&format!("P@ssw0rd{}", "x".repeat(25))), ["longer than 32 characters"]);
        assert_eq!(password_problems("p@ssw0rd"), ["no upper-case letter"]);
        assert_eq!(password_problems("P@SSW0RD"), ["no lower-case letter"]);
        assert_eq!(password_problems("P@ssword"), ["no digit"]);
        assert_eq!(password_problems("Passw0rd-"), ["no symbol from ! @ # $ % ^ & *"]);
        assert_eq!(password_problems("P@ss_w0rd"), ["contains a forbidden character (: \" or _)"]);
        // The problems never echo the password.
        for problem in password_problems("hunter2") {
            assert!(!problem.contains("hunter2"));
        }
    }

    #[test]
    fn the_rule_reads_the_recorded_problems() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |credentials: serde_json::Value| {
            run_in(policy, "PROV-PASSWORD", json!({"target": "t", "credentials": credentials}))
        };
        assert!(run(json!({"password_given": true})).findings.is_empty());
        let weak = run(json!({"password_given": true, "password_problems": ["no digit"]}));
        assert_eq!(rules(&weak), ["PROV-PASSWORD"]);
        assert!(weak.findings[0].message.contains("no digit"));
        assert_eq!(run(json!({"password_given": false})).missing.len(), 1);
    }
}
