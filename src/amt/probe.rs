//! The unauthenticated probe: `GET /` and the `Server` header.
//!
//! AMT answers `GET /` with `303 See Other` to `/logon.htm` and a `Server`
//! header naming the product and, usually, the firmware version. The banner
//! is weak evidence (non-Intel DASH firmware has been seen sending it), so
//! its facts are recorded with the source `server_header`.

use std::sync::Arc;

use http::header::{LOCATION, SERVER, WWW_AUTHENTICATE};
use http::StatusCode;

use super::WSMAN_PATH;
use crate::wsman::{CallLimits, Challenge, Endpoint, Error, Request, TlsInfo, Transport};

/// Which Intel firmware product a banner names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// `Intel(R) Active Management Technology [<version>]`.
    ActiveManagementTechnology,
    /// The bare `AMT` token some 11.x builds send.
    BareAmt,
    /// `Intel(R) Standard Manageability <version>` (the ISM SKU of the same firmware).
    StandardManageability,
    /// `Intel(R) Small Business Technology <version>` (the SBT SKU).
    SmallBusinessTechnology,
}

impl Product {
    /// A short name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Product::ActiveManagementTechnology => "Intel AMT",
            Product::BareAmt => "Intel AMT (bare banner)",
            Product::StandardManageability => "Intel Standard Manageability",
            Product::SmallBusinessTechnology => "Intel Small Business Technology",
        }
    }
}

/// What a `Server` header says about the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// The product named.
    pub product: Product,
    /// The version, when the banner carries one (2 to 4 numeric parts).
    pub version: Option<String>,
}

/// Reads an AMT banner. `None` means the server is not AMT-family firmware.
///
/// Deliberately not accepted: `Intel(R) Con. Management Engine` (consumer
/// ME, which has no AMT to manage) and `Intel(R) Management & Security
/// Application` (Intel's host-side LMS service, i.e. software on the OS,
/// not the firmware).
pub fn parse_server_header(value: &str) -> Option<Banner> {
    let value = value.trim();
    if value == "AMT" {
        return Some(Banner {
            product: Product::BareAmt,
            version: None,
        });
    }
    const PRODUCTS: [(&str, Product); 3] = [
        (
            "Intel(R) Active Management Technology",
            Product::ActiveManagementTechnology,
        ),
        (
            "Intel(R) Standard Manageability",
            Product::StandardManageability,
        ),
        (
            "Intel(R) Small Business Technology",
            Product::SmallBusinessTechnology,
        ),
    ];
    for (name, product) in PRODUCTS {
        let Some(rest) = value.strip_prefix(name) else {
            continue;
        };
        if rest.is_empty() {
            return Some(Banner {
                product,
                version: None,
            });
        }
        // The product name must end at a word boundary.
        let rest = rest.strip_prefix(' ')?;
        let token = rest.split_whitespace().next().unwrap_or_default();
        return Some(Banner {
            product,
            version: parse_version(token),
        });
    }
    None
}

/// A dotted version of 2 to 4 numeric parts, or `None`.
pub fn parse_version(token: &str) -> Option<String> {
    let parts: Vec<&str> = token.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()));
    ((2..=4).contains(&parts.len()) && numeric).then(|| token.to_owned())
}

/// The probe's reading of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    /// HTTP status of the answer to `GET /`.
    pub status: u16,
    /// The raw `Server` header, if any (kept as evidence).
    pub server_header: Option<String>,
    /// The `Location` header (AMT: `/logon.htm`).
    pub location: Option<String>,
    /// The banner, when the `Server` header names AMT-family firmware.
    pub banner: Option<Banner>,
    /// What the TLS handshake saw, on https.
    pub tls: Option<Arc<TlsInfo>>,
    /// The Digest challenge of a `POST /wsman` probe's 401, for the
    /// session's first signed call.
    pub challenge: Option<Challenge>,
}

/// `GET /` without credentials and without following the redirect.
pub async fn probe(
    transport: &dyn Transport,
    endpoint: &Endpoint,
    limits: &CallLimits,
) -> Result<ProbeResult, Error> {
    probe_with(transport, endpoint, limits, false).await
}

/// What the probe sends: `GET /`, or, when credentials will follow, an
/// unauthenticated `POST /wsman` (a WS-Man Identify). AMT answers the POST
/// with the 401 Digest needs anyway and the same `Server` banner as `GET /`,
/// so one request does both: the banner is checked before any credentials
/// are offered, and the challenge is kept for the first signed call.
pub fn probe_name(wsman: bool) -> &'static str {
    if wsman {
        "POST /wsman"
    } else {
        "GET /"
    }
}

/// [`probe`], or its `POST /wsman` form when `wsman` (see [`probe_name`]).
pub async fn probe_with(
    transport: &dyn Transport,
    endpoint: &Endpoint,
    limits: &CallLimits,
    wsman: bool,
) -> Result<ProbeResult, Error> {
    let request = if wsman {
        let identify = crate::wsman::envelope::identify();
        let mut request = Request::post(
            WSMAN_PATH,
            "application/soap+xml;charset=UTF-8",
            identify.xml.into_bytes(),
        )
        .headers_only();
        // An Identify without credentials reads and changes nothing.
        request.retry_safe = true;
        request
    } else {
        Request::get("/").headers_only()
    };
    let response = tokio::time::timeout(
        limits.deadline,
        transport.send(endpoint, &request, limits.body_cap),
    )
    .await
    .map_err(|_| Error::Timeout(limits.deadline))??;
    let status = response.status;
    let challenge = (wsman && status == StatusCode::UNAUTHORIZED)
        .then(|| {
            Challenge::from_headers(
                response
                    .headers
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok()),
            )
            .ok()
        })
        .flatten();
    let header = |name| {
        response
            .headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
    };
    let server_header = header(SERVER);
    Ok(ProbeResult {
        status: status.as_u16(),
        banner: server_header.as_deref().and_then(parse_server_header),
        location: header(LOCATION),
        server_header,
        tls: response.tls,
        challenge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_banner_variant() {
        let amt = Product::ActiveManagementTechnology;
        let cases = [
            (
                "Intel(R) Active Management Technology 7.1.91",
                Some((amt, Some("7.1.91"))),
            ),
            (
                "Intel(R) Active Management Technology 8.0.3",
                Some((amt, Some("8.0.3"))),
            ),
            (
                "Intel(R) Active Management Technology 11.8.50.3425",
                Some((amt, Some("11.8.50.3425"))),
            ),
            (
                "Intel(R) Active Management Technology 15.0.23.1706",
                Some((amt, Some("15.0.23.1706"))),
            ),
            (
                "Intel(R) Active Management Technology 7.1",
                Some((amt, Some("7.1"))),
            ),
            ("Intel(R) Active Management Technology", Some((amt, None))),
            (
                "Intel(R) Active Management Technology 1.2.3.4.5",
                Some((amt, None)),
            ),
            ("Intel(R) Active Management Technology 7", Some((amt, None))),
            (
                "Intel(R) Active Management Technology x.y",
                Some((amt, None)),
            ),
            ("AMT", Some((Product::BareAmt, None))),
            (
                "Intel(R) Standard Manageability 9.0.3",
                Some((Product::StandardManageability, Some("9.0.3"))),
            ),
            (
                "Intel(R) Small Business Technology 6.0.20",
                Some((Product::SmallBusinessTechnology, Some("6.0.20"))),
            ),
            (
                "Intel(R) Small Business Technology",
                Some((Product::SmallBusinessTechnology, None)),
            ),
            ("Intel(R) Active Management Technologyx 1.2", None),
            ("Intel(R) Con. Management Engine 5.0.1", None),
            ("Intel(R) Management & Security Application 8.0", None),
            ("Apache/2.4.1", None),
            ("AMTx", None),
            ("", None),
        ];
        for (value, expected) in cases {
            let got = parse_server_header(value).map(|b| (b.product, b.version));
            let expected = expected.map(|(p, v)| (p, v.map(str::to_owned)));
            assert_eq!(got, expected, "{value}");
        }
    }
}
