//! The policy file: the seed's statements as data (TOML), loaded and checked.
//!
//! The built-in policy is `configmgr-2007-sp1.toml`, embedded at build time.
//! A site may load its own file in the same format (`--policy FILE`). Every
//! error names the line, because the file is meant to be edited by hand.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

pub(crate) use super::checks::{RuleKind, RuleParams};
pub(crate) use super::data::{
    AmtRange, ClientOsRow, MobileOsRow, Note, PolicyData, RuleHead, SiteOsRow, SqlRow, SqlUpgrade,
    UpgradeRow,
};
use super::fact::FactUse;
use super::finding::Severity;

/// The embedded seed policy text.
pub(crate) const BUILTIN_TOML: &str = include_str!("configmgr-2007-sp1.toml");

/// Every built-in policy: its name and its embedded text.
pub const BUILTINS: [(&str, &str); 5] = [
    ("configmgr-2007-sp1", BUILTIN_TOML),
    (
        "configmgr-2007-sp1-provisioning",
        include_str!("configmgr-2007-sp1-provisioning.toml"),
    ),
    ("intel-advisories", include_str!("intel-advisories.toml")),
    (
        "configmgr-2007-sp1-provisioning-path",
        include_str!("configmgr-2007-sp1-provisioning-path.toml"),
    ),
    (
        "configmgr-2007-sp1-operational",
        include_str!("configmgr-2007-sp1-operational.toml"),
    ),
];

/// Largest policy file we read: the built-in one is a few dozen kilobytes.
const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;

/// Longest message of a policy error. Generous, since serde lists every
/// accepted spelling after a wrong one, but bounded: the wrong spelling is
/// the file's own text, of any length.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// A message quoting the file's text (serde's `unknown variant `…``, a note
/// id) as one line: control characters escaped, clipped.
fn shown(message: &str) -> String {
    crate::text::bounded_line(&crate::text::clean(message), MAX_MESSAGE_CHARS)
}

/// Why a policy could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy {path}: {source}")]
    Io {
        /// The policy file, as given to `--policy`.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// `--policy` named neither a built-in nor an existing file.
    #[error("{name}: no built-in policy or file by that name (built-ins: {builtins})")]
    NotFound {
        /// What `--policy` was given.
        name: String,
        /// The built-in policies' names, comma-separated, for the message.
        builtins: String,
    },
    /// The file is larger than any sensible policy.
    #[error("policy {path} is larger than {limit} bytes")]
    TooLarge {
        /// The policy file, as given to `--policy`.
        path: String,
        /// The most a policy file may hold, in bytes.
        limit: u64,
    },
    /// TOML syntax or a field of the wrong type or value.
    #[error("{origin}:{line}: {}", shown(message))]
    Syntax {
        /// Where the policy came from: its path, or `builtin`.
        origin: String,
        /// The 1-based line the parser stopped at.
        line: usize,
        /// The parser's message, as it gave it (cleaned when shown).
        message: String,
    },
    /// Well-formed, but inconsistent (a duplicate rule id, a note that does not
    /// exist, a row whose Ø count does not match its roles).
    #[error("{origin}:{line}: {}", shown(message))]
    Invalid {
        /// Where the policy came from: its path, or `builtin`.
        origin: String,
        /// The 1-based line of the offending rule or row.
        line: usize,
        /// What is inconsistent, in one line.
        message: String,
    },
}

/// One rule: what it says of itself (through [`Deref`]: id, what it checks,
/// where it comes from) and its typed check.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Everything but the check: what a finding of the rule carries.
    pub head: RuleHead,
    /// The check and its parameters, one variant per kind.
    pub params: RuleParams,
}

impl Deref for RuleInfo {
    type Target = RuleHead;

    fn deref(&self) -> &RuleHead {
        &self.head
    }
}

impl RuleInfo {
    /// Which check the rule runs.
    pub fn kind(&self) -> RuleKind {
        self.params.kind()
    }

    /// The facts the rule reads and those that make it apply.
    pub fn facts(&self) -> FactUse {
        self.params.check().facts()
    }
}

/// The fields every `[[rule]]` has, whatever its kind.
#[derive(Debug, Deserialize)]
struct RuleHeader {
    id: String,
    checks: String,
    /// The section; `section` reads better in policies whose source is not
    /// the seed.
    #[serde(alias = "section")]
    seed_section: String,
    #[serde(default)]
    document: Option<String>,
    #[serde(default = "default_severity")]
    severity: Severity,
    #[serde(default)]
    fix: Option<String>,
}

const HEADER_FIELDS: [&str; 8] = [
    "id",
    "kind",
    "checks",
    "seed_section",
    "section",
    "document",
    "severity",
    "fix",
];

fn default_severity() -> Severity {
    Severity::Error
}

/// The parsed rules data: the rules, and (through [`Deref`]) the tables and
/// notes they consult.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Every rule, in policy-file order.
    pub rule_list: Vec<RuleInfo>,
    /// Everything but the rules: what a check may read of its policy.
    pub data: PolicyData,
}

impl Deref for Policy {
    type Target = PolicyData;

    fn deref(&self) -> &PolicyData {
        &self.data
    }
}

/// A `[[rule]]` as written: every field with its position.
type RawRule = BTreeMap<String, toml::Spanned<toml::Value>>;

/// The file as written, before the rules are typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    description: String,
    #[serde(default)]
    document: Option<String>,
    #[serde(rename = "rule")]
    rule_list: Vec<RawRule>,
    #[serde(default)]
    amt_supported: Vec<AmtRange>,
    #[serde(default, rename = "note")]
    notes: Vec<Note>,
    #[serde(default)]
    client_os: Vec<ClientOsRow>,
    #[serde(default)]
    mobile_os: Vec<MobileOsRow>,
    #[serde(default)]
    site_os: Vec<SiteOsRow>,
    #[serde(default)]
    sql: Vec<SqlRow>,
    #[serde(default)]
    upgrade: Vec<UpgradeRow>,
    #[serde(default)]
    sql_upgrade: Vec<SqlUpgrade>,
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map(|head| head.iter().filter(|b| **b == b'\n').count() + 1)
        .unwrap_or(1)
}

/// Line of the first occurrence of `needle` (for errors about a value the
/// deserialiser kept no position for).
fn line_of_needle(text: &str, needle: &str) -> usize {
    text.find(needle).map(|at| line_of(text, at)).unwrap_or(1)
}

impl Policy {
    /// The embedded `configmgr-2007-sp1` policy.
    pub fn builtin() -> &'static Policy {
        match Policy::named(BUILTINS[0].0) {
            Some(policy) => policy,
            // The embedded files are checked by the unit tests; a failure here is
            // a build defect, not bad input.
            None => panic!("built-in policy configmgr-2007-sp1 is invalid"),
        }
    }

    /// A built-in policy by name, parsed once.
    pub fn named(name: &str) -> Option<&'static Policy> {
        static PARSED: [OnceLock<Option<Policy>>; BUILTINS.len()] =
            [const { OnceLock::new() }; BUILTINS.len()];
        let index = BUILTINS.iter().position(|(n, _)| *n == name)?;
        let (name, text) = BUILTINS[index];
        PARSED[index]
            .get_or_init(|| match Policy::from_toml_str(text, name) {
                Ok(policy) => Some(policy),
                Err(error) => {
                    tracing::error!("built-in policy {name} is invalid: {error}");
                    None
                }
            })
            .as_ref()
    }

    /// Parses a policy. `origin` names it in errors (a path or `builtin`).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|error| PolicyError::Syntax {
            origin: origin.to_string(),
            line: error.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            message: error.message().trim().to_string(),
        })?;
        let rule_list = raw
            .rule_list
            .into_iter()
            .map(|rule| type_rule(rule, text, origin))
            .collect::<Result<Vec<_>, _>>()?;
        let policy = Policy {
            rule_list,
            data: PolicyData {
                name: raw.name,
                description: raw.description,
                document: raw.document,
                amt_supported: raw.amt_supported,
                notes: raw.notes,
                client_os: raw.client_os,
                mobile_os: raw.mobile_os,
                site_os: raw.site_os,
                sql: raw.sql,
                upgrade: raw.upgrade,
                sql_upgrade: raw.sql_upgrade,
            },
        };
        policy.check(text, origin)?;
        Ok(policy)
    }

    /// Reads and parses a policy file (at most 4 MiB).
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let shown = path.display().to_string();
        let io = |source| PolicyError::Io {
            path: shown.clone(),
            source,
        };
        // Capped while reading: /dev/zero, FIFOs and /proc files say 0 bytes.
        let text = bounded_read::read_to_string(path, MAX_POLICY_BYTES).map_err(|e| match e {
            bounded_read::ReadError::TooLarge { .. } => PolicyError::TooLarge {
                path: shown.clone(),
                limit: MAX_POLICY_BYTES,
            },
            bounded_read::ReadError::Io { source, .. } => io(source),
            bounded_read::ReadError::NotUtf8 { .. } => io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8 text",
            )),
        })?;
        Policy::from_toml_str(&text, &shown)
    }

    /// Every rule, in file order.
    pub fn rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.rule_list.iter()
    }

    fn check(&self, text: &str, origin: &str) -> Result<(), PolicyError> {
        let invalid = |line: usize, message: String| PolicyError::Invalid {
            origin: origin.to_string(),
            line,
            message,
        };
        let mut seen = std::collections::HashSet::new();
        for rule in &self.rule_list {
            if !seen.insert(rule.id.as_str()) {
                return Err(invalid(
                    line_of_needle(text, &format!("\"{}\"", rule.id)),
                    format!("duplicate rule id `{}`", rule.id),
                ));
            }
        }
        for range in &self.amt_supported {
            if range.from >= range.below {
                return Err(invalid(
                    line_of_needle(text, &format!("\"{}\"", range.from)),
                    format!("AMT range {} .. {} is empty", range.from, range.below),
                ));
            }
        }
        let note_lists = self
            .client_os
            .iter()
            .map(|r| &r.notes)
            .chain(self.mobile_os.iter().map(|r| &r.notes))
            .chain(self.site_os.iter().map(|r| &r.notes))
            .chain(self.sql.iter().map(|r| &r.notes))
            .chain(self.sql_upgrade.iter().map(|r| &r.notes));
        for list in note_lists {
            for id in list {
                if self.note(id).is_none() {
                    return Err(invalid(
                        line_of_needle(text, &format!("\"{id}\"")),
                        format!("note `{id}` is referenced but not defined"),
                    ));
                }
            }
        }
        for row in &self.site_os {
            let columns = row.table.columns();
            let wrong_table = row.supported_roles.iter().find(|r| r.table() != row.table);
            if let Some(role) = wrong_table {
                return Err(invalid(
                    line_of_needle(text, &format!("\"{}\"", row.seed)),
                    format!(
                        "role `{}` is not a column of the {:?} table",
                        role.as_str(),
                        row.table
                    ),
                ));
            }
            let marks = *row.unsupported_marks.get_ref();
            if columns.checked_sub(row.supported_roles.len()) != Some(marks) {
                return Err(invalid(
                    line_of(text, row.unsupported_marks.span().start),
                    format!(
                        "row `{}`: {} Ø marks but {} of {} columns read as supported",
                        row.seed,
                        marks,
                        row.supported_roles.len(),
                        columns
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Converts one `[[rule]]` table into its typed form, once: the common
/// header, then the parameters of its kind. A field the kind does not take,
/// or a value of the wrong type, is an error naming its line.
fn type_rule(raw: RawRule, text: &str, origin: &str) -> Result<RuleInfo, PolicyError> {
    let first_line = raw
        .values()
        .map(|value| line_of(text, value.span().start))
        .min()
        .unwrap_or(1);
    let (header, params): (RawRule, RawRule) = raw
        .into_iter()
        .partition(|(key, _)| HEADER_FIELDS.contains(&key.as_str()));
    let syntax = |line: usize, message: String| PolicyError::Syntax {
        origin: origin.to_string(),
        line,
        message,
    };
    let kind_line = header
        .get("kind")
        .map(|value| line_of(text, value.span().start))
        .unwrap_or(first_line);
    // The kind first: every other error is read in its light.
    let kind = match header.get("kind").map(|value| value.get_ref()) {
        Some(toml::Value::String(name)) => RuleKind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = RuleKind::ALL.iter().map(|k| k.name()).collect();
            syntax(
                kind_line,
                format!(
                    "unknown rule kind {} (known: {})",
                    crate::text::quoted(name),
                    known.join(", ")
                ),
            )
        })?,
        _ => {
            return Err(syntax(
                kind_line,
                "a [[rule]] needs `kind`, a string".to_string(),
            ))
        }
    };
    let header_fields = fields::Fields::new(&header);
    let head = RuleHeader::deserialize(&header_fields).map_err(|error| {
        syntax(
            header_fields.error_line(text).unwrap_or(first_line),
            error.to_string(),
        )
    })?;
    let param_fields = fields::Fields::new(&params);
    let typed = RuleParams::deserialize(kind, &param_fields).map_err(|error| {
        syntax(
            param_fields.error_line(text).unwrap_or(kind_line),
            format!("rule `{}` (kind `{}`): {error}", head.id, kind.name()),
        )
    })?;
    Ok(RuleInfo {
        head: RuleHead {
            id: head.id,
            checks: head.checks,
            seed_section: head.seed_section,
            document: head.document,
            severity: head.severity,
            fix: head.fix,
            line: first_line,
        },
        params: typed,
    })
}

/// A serde deserializer over a rule's fields that remembers which field it
/// was reading, so an error can name the line of that field.
mod fields {
    use std::cell::Cell;

    use serde::de::{self, value::Error, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

    use super::{line_of, RawRule};

    pub struct Fields<'a> {
        fields: &'a RawRule,
        /// Byte offset of the value being read when deserialisation stopped.
        at: Cell<Option<usize>>,
    }

    impl<'a> Fields<'a> {
        pub fn new(fields: &'a RawRule) -> Fields<'a> {
            Fields {
                fields,
                at: Cell::new(None),
            }
        }

        /// The line of the field read last (the one an error is about).
        pub fn error_line(&self, text: &str) -> Option<usize> {
            self.at.get().map(|offset| line_of(text, offset))
        }
    }

    struct Access<'a, 'b> {
        owner: &'b Fields<'a>,
        iter: std::collections::btree_map::Iter<'a, String, toml::Spanned<toml::Value>>,
        value: Option<&'a toml::Spanned<toml::Value>>,
    }

    impl<'de> MapAccess<'de> for Access<'_, '_> {
        type Error = Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            match self.iter.next() {
                None => {
                    // Past the last field: an error now (a missing field) is
                    // about the rule, not a field.
                    self.owner.at.set(None);
                    Ok(None)
                }
                Some((key, value)) => {
                    self.owner.at.set(Some(value.span().start));
                    self.value = Some(value);
                    seed.deserialize(key.as_str().into_deserializer()).map(Some)
                }
            }
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            let value = self
                .value
                .take()
                .ok_or_else(|| <Error as de::Error>::custom("value without a key"))?;
            seed.deserialize(value.get_ref().clone())
                .map_err(|error| <Error as de::Error>::custom(error.message().trim()))
        }
    }

    impl<'de> de::Deserializer<'de> for &Fields<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_map(Access {
                owner: self,
                iter: self.fields.iter(),
                value: None,
            })
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads() {
        for (name, _) in BUILTINS {
            let policy = Policy::named(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(policy.name, name);
            assert!(policy.rules().all(|r| !r.seed_section.is_empty()));
        }
    }

    #[test]
    fn builtin_loads() {
        let policy = Policy::builtin();
        assert!(policy.rules().count() >= 15);
        assert!(policy.rules().any(|r| r.id == "AMT-FW-VERSION"));
    }

    /// The seed's headings: every entry must cite one, and every heading
    /// that states a requirement must be cited.
    const SEED_SECTIONS: [&str; 9] = [
        "Supported Upgrade Paths",
        "Computer Client Operating System Requirements",
        "Mobile Device Client Operating System Requirements",
        "Core Site System Requirements",
        "Feature-Specific Site System Requirements",
        "Unsupported Operating Systems",
        "SQL Server Site Database Configurations",
        "Out of Band Management",
        "Upgrade Considerations",
    ];

    #[test]
    fn every_entry_cites_a_seed_section_and_every_section_is_cited() {
        let policy = Policy::builtin();
        let cited: Vec<&str> = policy
            .rules()
            .map(|r| r.seed_section.as_str())
            .chain(policy.notes.iter().map(|n| n.seed_section.as_str()))
            .collect();
        for section in &cited {
            assert!(
                SEED_SECTIONS.iter().any(|s| section.starts_with(s)),
                "{section}"
            );
        }
        for section in SEED_SECTIONS {
            assert!(cited.iter().any(|c| c.starts_with(section)), "{section}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let bad = BUILTIN_TOML.replacen("kind = \"amt-firmware\"", "kind = \"amt-firmwre\"", 1);
        let line = line_of_needle(&bad, "amt-firmwre");
        match Policy::from_toml_str(&bad, "x.toml") {
            Err(PolicyError::Syntax { line: got, .. }) => assert_eq!(got, line),
            other => panic!("{other:?}"),
        }
        let bad = BUILTIN_TOML.replacen("unsupported_marks = 8", "unsupported_marks = 7", 1);
        let line = line_of_needle(&bad, "unsupported_marks = 7");
        match Policy::from_toml_str(&bad, "x.toml") {
            Err(PolicyError::Invalid { line: got, .. }) => assert_eq!(got, line),
            other => panic!("{other:?}"),
        }
        // A field of another kind: `archs` belongs to sql-arch-excluded.
        let bad = BUILTIN_TOML.replacen(
            "kind = \"rras\"\n",
            "kind = \"rras\"\narchs = [\"x86\"]\n",
            1,
        );
        let line = line_of_needle(&bad, "archs = [\"x86\"]");
        match Policy::from_toml_str(&bad, "x.toml") {
            Err(PolicyError::Syntax {
                line: got, message, ..
            }) => {
                assert_eq!(got, line, "{message}");
                assert!(
                    message.contains("archs") && message.contains("HOST-RRAS"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A value of the wrong type names its own line.
        let bad = BUILTIN_TOML.replacen("any_server = true", "any_server = \"yes\"", 1);
        let line = line_of_needle(&bad, "any_server = \"yes\"");
        match Policy::from_toml_str(&bad, "x.toml") {
            Err(PolicyError::Syntax { line: got, .. }) => assert_eq!(got, line),
            other => panic!("{other:?}"),
        }
        // A missing parameter names the rule's kind line.
        let bad = BUILTIN_TOML.replacen("archs = [\"ia64\"]\n", "", 1);
        let line = line_of_needle(&bad, "kind = \"sql-arch-excluded\"");
        match Policy::from_toml_str(&bad, "x.toml") {
            Err(PolicyError::Syntax { line: got, .. }) => assert_eq!(got, line),
            other => panic!("{other:?}"),
        }
        let bad = BUILTIN_TOML.replacen("from = \"3.2.1\"", "from = \"3.2.x\"", 1);
        let line = line_of_needle(&bad, "3.2.x");
        match Policy::from_toml_str(&bad, "x.toml") {
            Err(PolicyError::Syntax { line: got, .. }) => assert_eq!(got, line),
            other => panic!("{other:?}"),
        }
    }
}
