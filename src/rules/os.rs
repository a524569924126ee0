//! The operating-system vocabulary the rules use: [`crate::os`], with the SQL
//! Server and product strings beside it, under the path the checks and
//! policy files have always named.

pub(crate) use super::product::UpgradeSource;
pub(crate) use super::sql::SqlVersion;
pub(crate) use crate::os::*;
