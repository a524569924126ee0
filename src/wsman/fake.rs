//! A scripted [`Transport`] for unit tests of everything above the wire:
//! class readers, the inventory sequence, auth schemes. No sockets, no
//! runtime beyond the test's own.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::transport::{RawResponse, Request, Transport};
use super::{Endpoint, Error};

type Script = dyn Fn(&Request, usize) -> Result<RawResponse, Error> + Send + Sync;

/// Answers each request with what the script returns for it and its index
/// (0-based), and records every request.
#[derive(Clone)]
pub(crate) struct FakeTransport {
    script: Arc<Script>,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl fmt::Debug for FakeTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTransport").finish_non_exhaustive()
    }
}

impl FakeTransport {
    /// A fake driven by `script`.
    pub(crate) fn new(
        script: impl Fn(&Request, usize) -> Result<RawResponse, Error> + Send + Sync + 'static,
    ) -> Self {
        Self {
            script: Arc::new(script),
            seen: Arc::default(),
        }
    }

    /// A fake that answers every request `200` with `body` as SOAP 1.2.
    pub(crate) fn soap(body: impl Fn(&Request, usize) -> String + Send + Sync + 'static) -> Self {
        Self::new(move |req, i| Ok(soap_ok(&body(req, i))))
    }

    /// Every request sent so far, in order.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A `200` with a SOAP 1.2 body.
pub(crate) fn soap_ok(body: &str) -> RawResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/soap+xml; charset=UTF-8"),
    );
    RawResponse::new(StatusCode::OK, headers, body.as_bytes().to_vec())
}

impl Transport for FakeTransport {
    fn send<'a>(
        &'a self,
        _endpoint: &'a Endpoint,
        request: &'a Request,
        body_cap: usize,
    ) -> BoxFuture<'a, Result<RawResponse, Error>> {
        let index = {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            seen.push(request.clone());
            seen.len() - 1
        };
        let answer = (self.script)(request, index).and_then(|r| {
            if r.body.len() > body_cap {
                Err(Error::BodyTooLarge(body_cap))
            } else {
                Ok(r)
            }
        });
        Box::pin(async move { answer })
    }
}
