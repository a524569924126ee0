//! What the router hands authenticated (or open) requests to.

pub mod eoi;
pub mod web;
pub mod wsman;
