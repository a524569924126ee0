//! The concurrent runner.
//!
//! Targets are pulled from a lazy iterator only as slots free up, so memory stays
//! flat however large the target list is, and each result is handed to the caller
//! as soon as it is known (the caller writes and flushes it: a killed scan keeps
//! every host it finished).

use futures_util::stream::{self, StreamExt};

use crate::amt::{read_host, AmtClient};
use crate::facts::FactsRecord;
use crate::scan::target::Target;
use crate::wsman::{Credentials, Endpoint};

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Hosts read at the same time.
    pub concurrency: usize,
    /// Without credentials only the unauthenticated probe runs.
    pub credentials: Option<Credentials>,
}

/// Reads every target, at most `concurrency` at a time, and calls `on_result`
/// once per target in completion order. Never fails as a whole: each host's
/// failure is in its record.
pub async fn scan<I, F>(client: &AmtClient, targets: I, options: &ScanOptions, mut on_result: F)
where
    I: IntoIterator<Item = Target>,
    F: FnMut(FactsRecord),
{
    let credentials = options.credentials.as_ref();
    let reads = stream::iter(targets).map(|target| async move {
        let endpoint = Endpoint {
            host: target.host.clone(),
            port: target.port,
            tls: false,
        };
        read_host(client, &endpoint, credentials, &target.label()).await
    });
    let mut results = reads.buffer_unordered(options.concurrency.max(1));
    while let Some(record) = results.next().await {
        on_result(record);
    }
}
