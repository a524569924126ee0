//! One authenticated conversation with one host: Get, Enumerate + Pull,
//! Identify, and plain SOAP 1.1 posts, all sharing one Digest nonce.

use std::sync::Arc;
use std::time::Instant;

use http::StatusCode;

use super::auth::{self, Auth};
use super::envelope::{self, EnvelopeOptions, Query, Request as Envelope, Selector};
use super::response::{self, Response};
use super::transport::{RawResponse, Request, Transport};
use super::xml::Element;
use super::{CallLimits, Endpoint, Error};

/// The content type of a WS-Management request.
const SOAP12_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";

/// A per-host session: one transport, one auth state (so a Digest nonce is
/// reused instead of re-challenged), one WS-Management path.
#[derive(Debug, Clone)]
pub struct Session {
    transport: Arc<dyn Transport>,
    endpoint: Endpoint,
    auth: Arc<dyn Auth>,
    path: String,
    envelope: EnvelopeOptions,
    max_pages: u32,
}

impl Session {
    /// Default bound on Pulls per enumeration: a device that never sends
    /// EndOfSequence must not keep us forever, even within the deadline.
    pub const DEFAULT_MAX_PAGES: u32 = 1_000;

    /// A session on `endpoint`, posting WS-Management to `path`.
    pub fn new(
        transport: Arc<dyn Transport>,
        endpoint: Endpoint,
        auth: Arc<dyn Auth>,
        path: impl Into<String>,
        envelope: EnvelopeOptions,
    ) -> Self {
        Self {
            transport,
            endpoint,
            auth,
            path: path.into(),
            envelope,
            max_pages: Self::DEFAULT_MAX_PAGES,
        }
    }

    /// Changes the bound on Pulls per enumeration.
    pub fn with_max_pages(mut self, max_pages: u32) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The endpoint this session talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// WS-Transfer Get: the instance element (the Body's first child).
    pub async fn get(
        &self,
        resource_uri: &str,
        selectors: &[Selector],
        limits: &CallLimits,
    ) -> Result<Element, Error> {
        let request = envelope::get(&self.to(), resource_uri, selectors, &self.envelope);
        let response = self.call(request, limits, true).await?;
        response
            .into_payload()
            .ok_or_else(|| Error::Protocol("Get answered with an empty Body".into()))
    }

    /// Enumerate, then Pull until EndOfSequence: every item of every page.
    /// `limits.deadline` bounds the whole enumeration, not each page.
    pub async fn enumerate(
        &self,
        resource_uri: &str,
        limits: &CallLimits,
    ) -> Result<Vec<Element>, Error> {
        self.enumerate_query(resource_uri, &Query::default(), limits)
            .await
    }

    /// [`Session::enumerate`] narrowed by a SelectorSet, Filter or OptionSet.
    pub async fn enumerate_query(
        &self,
        resource_uri: &str,
        query: &Query,
        limits: &CallLimits,
    ) -> Result<Vec<Element>, Error> {
        let started = Instant::now();
        let remaining = || -> Result<CallLimits, Error> {
            let left = limits.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(Error::Timeout(limits.deadline));
            }
            Ok(CallLimits {
                deadline: left,
                body_cap: limits.body_cap,
            })
        };
        // A connection that dies under a Pull (a device that closes kept-alive
        // connections without `Connection: close`) costs the enumeration, not
        // the host: it starts over, once, from Enumerate. A Pull itself is
        // never resent, since it moves the enumeration on and a lost page
        // would go unnoticed; a fresh Enumerate only reads.
        let mut restarts_left = 1;
        loop {
            match self.enumerate_once(resource_uri, query, &remaining).await {
                Err(Error::ConnectionReset) if restarts_left > 0 => restarts_left -= 1,
                // A timeout names the configured limit, not the time that was left.
                Err(Error::Timeout(_)) => return Err(Error::Timeout(limits.deadline)),
                other => return other,
            }
        }
    }

    async fn enumerate_once(
        &self,
        resource_uri: &str,
        query: &Query,
        remaining: &impl Fn() -> Result<CallLimits, Error>,
    ) -> Result<Vec<Element>, Error> {
        let to = self.to();
        // Optimized first: a service that implements DSP0226 §8.2.3 (WinRM
        // does) puts the items in the EnumerateResponse and the Pull is only
        // for what did not fit. AMT answers it with a context only, so there
        // the Pull always follows; firmware that faults on the option gets
        // the plain Enumerate.
        let request = envelope::enumerate_query(&to, resource_uri, query, true, &self.envelope);
        let first = match self.call(request, &remaining()?, true).await {
            Err(Error::Fault(_) | Error::EmptyBadRequest) => {
                let plain =
                    envelope::enumerate_query(&to, resource_uri, query, false, &self.envelope);
                let response = self.call(plain, &remaining()?, true).await?;
                response::enumerate_page(response)?
            }
            other => response::enumerate_page(other?)?,
        };
        let mut items = first.items;
        if first.end_of_sequence {
            return Ok(items);
        }
        let mut context = first.context.ok_or_else(|| {
            Error::Protocol("EnumerateResponse without an EnumerationContext".into())
        })?;
        for _ in 0..self.max_pages {
            let request = envelope::pull(&to, resource_uri, &context, &self.envelope);
            let response = self.call(request, &remaining()?, false).await?;
            let page = response::pull_page(response)?;
            items.extend(page.items);
            if page.end_of_sequence {
                return Ok(items);
            }
            // WS-Enumeration: a new context replaces the old; none means
            // the old one still holds.
            if let Some(next) = page.context {
                context = next;
            }
        }
        Err(Error::Protocol(format!(
            "enumeration of {resource_uri} did not end after {} pages",
            self.max_pages
        )))
    }

    /// A method call without input parameters: the `<method>_OUTPUT`
    /// element. Only methods that read may be called this way, since the
    /// request may be resent on a connection that died before answering.
    pub async fn invoke_read(
        &self,
        resource_uri: &str,
        method: &str,
        selectors: &[Selector],
        limits: &CallLimits,
    ) -> Result<Element, Error> {
        let request = envelope::invoke(&self.to(), resource_uri, method, selectors, &self.envelope);
        let response = self.call(request, limits, true).await?;
        response
            .into_payload()
            .ok_or_else(|| Error::Protocol(format!("{method} answered with an empty Body")))
    }

    /// WS-Management Identify (authenticated): the IdentifyResponse element.
    pub async fn identify(&self, limits: &CallLimits) -> Result<Element, Error> {
        let request = envelope::identify();
        // Identify answers carry no WS-Addressing header, so nothing to relate.
        let raw = self.post_wsman(request, limits, true).await?;
        let response = interpret(raw, |body| response::parse_response(body, None))?;
        response
            .into_payload()
            .ok_or_else(|| Error::Protocol("Identify answered with an empty Body".into()))
    }

    /// A SOAP 1.1 call (`text/xml`, `SOAPAction` header) to `path`, sharing
    /// this session's Digest nonce: the Body element of the answer.
    pub async fn soap11(
        &self,
        path: &str,
        soap_action: &str,
        xml: &str,
        limits: &CallLimits,
    ) -> Result<Element, Error> {
        let mut request = Request::post(path, "text/xml; charset=utf-8", xml.to_owned()).header(
            http::HeaderName::from_static("soapaction"),
            &format!("\"{soap_action}\""),
        )?;
        // Intel's EOI methods named Get… and Enumerate… only read.
        let method = soap_action.rsplit('/').next().unwrap_or_default();
        request.retry_safe = method.starts_with("Get") || method.starts_with("Enumerate");
        let raw = self.send(&request, limits).await?;
        interpret(raw, response::parse_soap11)
    }

    /// Any request on this session's transport and auth.
    pub async fn send(&self, request: &Request, limits: &CallLimits) -> Result<RawResponse, Error> {
        auth::send(
            self.transport.as_ref(),
            &self.endpoint,
            self.auth.as_ref(),
            request,
            limits,
        )
        .await
    }

    async fn call(
        &self,
        request: Envelope,
        limits: &CallLimits,
        retry_safe: bool,
    ) -> Result<Response, Error> {
        let message_id = request.message_id.clone();
        let raw = self.post_wsman(request, limits, retry_safe).await?;
        interpret(raw, |body| {
            response::parse_response(body, Some(&message_id))
        })
    }

    /// Takes the envelope by value: its XML becomes the request body as it
    /// is, where a copy would hold it twice while the request is in flight.
    async fn post_wsman(
        &self,
        request: Envelope,
        limits: &CallLimits,
        retry_safe: bool,
    ) -> Result<RawResponse, Error> {
        let mut request = Request::post(self.path.as_str(), SOAP12_CONTENT_TYPE, request.xml);
        request.retry_safe = retry_safe;
        self.send(&request, limits).await
    }

    fn to(&self) -> String {
        self.endpoint.url(&self.path)
    }
}

/// Maps an HTTP answer to the parsed SOAP body or the right error. Faults
/// come as 400 (or 500) with a SOAP body; AMT 12.x may send a bare 400.
pub fn interpret<T>(
    raw: RawResponse,
    parse: impl FnOnce(&[u8]) -> Result<T, Error>,
) -> Result<T, Error> {
    let status = raw.status;
    if status == StatusCode::OK {
        return parse(&raw.body);
    }
    if raw.body.iter().all(u8::is_ascii_whitespace) {
        if status == StatusCode::BAD_REQUEST {
            return Err(Error::EmptyBadRequest);
        }
        return Err(Error::HttpStatus(status.as_u16()));
    }
    match parse(&raw.body) {
        Err(fault @ Error::Fault(_)) => Err(fault),
        _ => Err(Error::HttpStatus(status.as_u16())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse::new(
            StatusCode::from_u16(status).unwrap(),
            http::HeaderMap::new(),
            body.as_bytes().to_vec(),
        )
    }

    #[test]
    fn empty_400_is_its_own_error() {
        let r = interpret(raw(400, ""), |b| response::parse_response(b, None));
        assert_eq!(r.unwrap_err(), Error::EmptyBadRequest);
    }

    #[test]
    fn non_soap_error_body_keeps_the_status() {
        let r = interpret(raw(404, "<html>nope</html>"), |b| {
            response::parse_response(b, None)
        });
        assert_eq!(r.unwrap_err(), Error::HttpStatus(404));
        let r = interpret(raw(500, ""), |b| response::parse_response(b, None));
        assert_eq!(r.unwrap_err(), Error::HttpStatus(500));
    }

    #[test]
    fn fault_in_400_is_a_fault() {
        let body = r#"<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:b="urn:b"><a:Body><a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>b:X</a:Value></a:Subcode></a:Code><a:Reason><a:Text>r</a:Text></a:Reason></a:Fault></a:Body></a:Envelope>"#;
        let r = interpret(raw(400, body), |b| response::parse_response(b, None));
        let Err(Error::Fault(f)) = r else {
            panic!("expected fault")
        };
        assert_eq!(f.subcode.as_deref(), Some("X"));
    }
}
