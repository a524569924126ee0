//! SQL Server strings (`SQL Server 2005 Enterprise SP2 x64`, `sql2008r2 std x64`)
//! into typed values, for the site database rules.

use serde::{Deserialize, Serialize};

use crate::os::{arch_token, has, service_pack_in, tokens, Arch};

/// A SQL Server release as the seed's database table names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SqlVersion {
    /// SQL Server 2000.
    #[serde(rename = "sql-2000")]
    Sql2000,
    /// SQL Server 2005.
    #[serde(rename = "sql-2005")]
    Sql2005,
    /// SQL Server 2008.
    #[serde(rename = "sql-2008")]
    Sql2008,
    /// SQL Server 2008 R2.
    #[serde(rename = "sql-2008-r2")]
    Sql2008R2,
    /// A later release (2012 and on): not in the seed, so unsupported.
    SqlLater,
}

impl SqlVersion {
    /// Name for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            SqlVersion::Sql2000 => "SQL Server 2000",
            SqlVersion::Sql2005 => "SQL Server 2005",
            SqlVersion::Sql2008 => "SQL Server 2008",
            SqlVersion::Sql2008R2 => "SQL Server 2008 R2",
            SqlVersion::SqlLater => "SQL Server (later than 2008 R2)",
        }
    }
}

/// What we know of the SQL Server hosting the site database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sql {
    /// The release.
    pub version: SqlVersion,
    /// Lower-case edition keyword (`standard`, `enterprise`, `express`...).
    pub edition: Option<String>,
    /// Service pack level; `Some(0)` is none.
    pub service_pack: Option<u8>,
    /// Processor architecture.
    pub arch: Option<Arch>,
}

/// Reads `SQL Server 2005 Enterprise SP2 x64`, `sql2008r2 std x64`...
/// `None` when no release can be recognised.
pub fn parse_sql(text: &str) -> Option<Sql> {
    let lower = text.to_ascii_lowercase().replace("sql2", "sql 2");
    let t = tokens(&lower);
    let r2 = has(&t, "r2");
    let version = if has(&t, "2008") {
        if r2 {
            SqlVersion::Sql2008R2
        } else {
            SqlVersion::Sql2008
        }
    } else if has(&t, "2005") {
        SqlVersion::Sql2005
    } else if has(&t, "2000") {
        SqlVersion::Sql2000
    } else if ["2012", "2014", "2016", "2017", "2019", "2022", "2025"]
        .iter()
        .any(|y| has(&t, y))
    {
        SqlVersion::SqlLater
    } else {
        return None;
    };
    let edition = [
        "standard",
        "enterprise",
        "express",
        "workgroup",
        "developer",
        "web",
        "datacenter",
    ]
    .iter()
    .find(|w| has(&t, w))
    .map(|w| w.to_string())
    .or_else(|| {
        if has(&t, "std") {
            Some("standard".into())
        } else if has(&t, "ent") {
            Some("enterprise".into())
        } else {
            None
        }
    });
    Some(Sql {
        version,
        edition,
        service_pack: service_pack_in(&t),
        arch: t.iter().find_map(|tok| arch_token(tok)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_strings() {
        let sql = parse_sql("SQL Server 2005 Enterprise SP2 x64").unwrap();
        assert_eq!(
            (
                sql.version,
                sql.edition.as_deref(),
                sql.service_pack,
                sql.arch
            ),
            (
                SqlVersion::Sql2005,
                Some("enterprise"),
                Some(2),
                Some(Arch::X64)
            )
        );
        assert_eq!(
            parse_sql("sql2008r2 std x86").unwrap().version,
            SqlVersion::Sql2008R2
        );
        assert!(parse_sql("Oracle 11g").is_none());
    }
}
