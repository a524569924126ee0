//! One running device: its configuration, counters and changing state, and
//! the answer a request gets. The router and every service work on it; it
//! sits below them so that none of them imports another for it.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Instant;

use crate::classes::{Class, Instance, State};
use crate::config::DeviceConfig;
use crate::digest::DigestState;
use crate::fault::Fault;

pub(crate) const SOAP12_CONTENT_TYPE: &str = "application/soap+xml; charset=UTF-8";

/// What the device counts, read by [`crate::DeviceHandle::stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) auth_challenges: AtomicU64,
    pub(crate) failed_auth: AtomicU64,
    pub(crate) lockouts: AtomicU64,
    pub(crate) stale_nonces: AtomicU64,
    pub(crate) replays: AtomicU64,
    pub(crate) authenticated: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) tls_handshakes: AtomicU64,
    pub(crate) tls_resumed: AtomicU64,
    pub(crate) tls_failed: AtomicU64,
}

/// What changes while a device runs.
pub(crate) struct Mutable {
    pub(crate) digest: DigestState,
    pub(crate) message_counter: u64,
    pub(crate) context_counter: u32,
    pub(crate) enumerations: HashMap<String, Enumeration>,
    /// What methods change (the power state).
    pub(crate) live: State,
}

/// One running device, shared by its connections.
pub(crate) struct Device {
    pub(crate) cfg: DeviceConfig,
    pub(crate) counters: Counters,
    pub(crate) state: Mutex<Mutable>,
}

/// What the router answers; the server writes it.
pub(crate) enum Answer {
    Bytes {
        bytes: Vec<u8>,
        keep_alive: bool,
    },
    Oversized(usize),
    /// A streamed hostile answer (reset mid-body, truncated or endless chunks).
    Hostile(Fault),
}

impl Answer {
    pub(crate) fn close(bytes: Vec<u8>) -> Self {
        Answer::Bytes {
            bytes,
            keep_alive: false,
        }
    }
    pub(crate) fn keep(bytes: Vec<u8>) -> Self {
        Answer::Bytes {
            bytes,
            keep_alive: true,
        }
    }
}

/// An enumeration a client holds open: what is left of it to pull.
pub(crate) struct Enumeration {
    pub(crate) class: &'static dyn Class,
    pub(crate) remaining: Vec<Instance>,
    pub(crate) touched: Instant,
}

impl Device {
    /// The state methods change, as it is now.
    pub(crate) fn live_state(&self) -> State {
        self.state
            .lock()
            .map(|s| s.live)
            .unwrap_or_else(|_| State::new(&self.cfg.profile))
    }

    /// CIM PowerState now.
    pub(crate) fn power_state(&self) -> u8 {
        self.live_state().power_state
    }

    pub(crate) fn server(&self) -> &str {
        &self.cfg.profile.server_header
    }
}
