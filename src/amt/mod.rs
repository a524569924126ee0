//! amt
