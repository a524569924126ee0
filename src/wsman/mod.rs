//! wsman
