//! The operating-system vocabulary the rules use: [`crate::os`], with the SQL
//! Server and product strings beside it, under the path the checks and
//! policy files have always named.

pub use super::product::{parse_upgrade_source, Release, UpgradeSource};
pub use super::sql::{parse_sql, Sql, SqlVersion};
pub use crate::os::*;
