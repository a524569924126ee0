//! AMT versions for the rules: the type lives at the crate root
//! ([`crate::version`]), shared with `amt` and the reports; these names stay
//! so policy code and saved paths (`rules::version::RangeFit`) keep working.

pub(crate) use crate::version::{RangeFit, Version};
