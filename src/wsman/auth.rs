//! Authentication as a pluggable piece: a scheme signs requests and reads
//! 401s; [`send`] runs the exchange with any scheme over any transport,
//! within one deadline.
//!
//! Digest is what AMT speaks. Basic is here because WinRM over TLS uses it,
//! and because a second scheme keeps the seam honest; Negotiate fits the same
//! trait (it signs from a context and reads the server's token on a 401).

use std::fmt;

use base64::Engine as _;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};

use super::digest::{Challenge, DigestSession};
use super::transport::{RawResponse, Request, Transport};
use super::{CallLimits, Credentials, Endpoint, Error};

/// What to do after a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Send again, signed by [`Auth::authorize`].
    Again,
    /// Stop: the credentials were refused.
    Refused,
}

/// An HTTP authentication scheme for one host.
pub trait Auth: Send + Sync + fmt::Debug {
    /// The `Authorization` value for this request, or `None` to send it
    /// unsigned (Digest before it holds a nonce).
    fn authorize(&self, request: &Request) -> Result<Option<HeaderValue>, Error>;

    /// Reads a 401. `signed` says whether the refused request carried an
    /// `Authorization`; `renewals_left` whether a signed request may still be
    /// sent once more (a stale nonce). A scheme must never ask to resend
    /// credentials the device refused: AMT counts each attempt toward lockout.
    fn unauthorized(
        &self,
        response: &RawResponse,
        signed: bool,
        renewals_left: bool,
    ) -> Result<Retry, Error>;
}

/// No authentication (the probe): a 401 is simply the answer.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAuth;

impl Auth for NoAuth {
    fn authorize(&self, _request: &Request) -> Result<Option<HeaderValue>, Error> {
        Ok(None)
    }

    fn unauthorized(&self, _: &RawResponse, _: bool, _: bool) -> Result<Retry, Error> {
        Ok(Retry::Refused)
    }
}

/// HTTP Digest with a nonce kept per host: the first request goes unsigned
/// (a 401 that carries no credentials costs nothing toward lockout), later
/// ones are signed at once with `nc` + 1.
#[derive(Debug)]
pub struct DigestAuth {
    creds: Credentials,
    session: DigestSession,
}

impl DigestAuth {
    /// Digest with these credentials and no nonce yet.
    pub fn new(creds: Credentials) -> Self {
        Self {
            creds,
            session: DigestSession::new(),
        }
    }

    /// The nonce state (tests look at it).
    pub fn session(&self) -> &DigestSession {
        &self.session
    }
}

impl Auth for DigestAuth {
    fn authorize(&self, request: &Request) -> Result<Option<HeaderValue>, Error> {
        let answer = self.session.authorization(
            &self.creds,
            request.method.as_str(),
            &request.path,
            &request.body,
        )?;
        answer.map(|a| sensitive(&a)).transpose()
    }

    fn unauthorized(
        &self,
        response: &RawResponse,
        signed: bool,
        renewals_left: bool,
    ) -> Result<Retry, Error> {
        // Lossy, not `to_str`: a challenge with a non-ASCII realm must be
        // reported as such, not vanish as if there were no header at all.
        let values: Vec<String> = response
            .headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let challenge = Challenge::from_headers(values.iter().map(String::as_str));
        let retry = !signed || (renewals_left && challenge.as_ref().is_ok_and(Challenge::stale));
        if !retry {
            self.session.clear();
            return Ok(Retry::Refused);
        }
        self.session.set_challenge(challenge?);
        Ok(Retry::Again)
    }
}

/// HTTP Basic (RFC 7617), sent only after the server asks for it, and only
/// ever over a connection the caller chose (WinRM uses it over TLS).
#[derive(Debug)]
pub struct BasicAuth {
    creds: Credentials,
    asked: std::sync::atomic::AtomicBool,
}

impl BasicAuth {
    /// Basic with these credentials.
    pub fn new(creds: Credentials) -> Self {
        Self {
            creds,
            asked: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Auth for BasicAuth {
    fn authorize(&self, _request: &Request) -> Result<Option<HeaderValue>, Error> {
        if !self.asked.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(None);
        }
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.creds.user,
            self.creds.password.expose()
        ));
        sensitive(&format!("Basic {token}")).map(Some)
    }

    fn unauthorized(&self, response: &RawResponse, signed: bool, _: bool) -> Result<Retry, Error> {
        let offered = response
            .headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.trim_start()
                    .get(..5)
                    .is_some_and(|s| s.eq_ignore_ascii_case("basic"))
            });
        if signed || !offered {
            return Ok(Retry::Refused);
        }
        self.asked.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(Retry::Again)
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| Error::Protocol("the Authorization answer is not a valid header".into()))?;
    v.set_sensitive(true);
    Ok(v)
}

/// Sends `request` with `auth` over `transport`, answering challenges as the
/// scheme says, all within `limits.deadline`. At most three sends: unsigned,
/// signed, and one renewal of a stale nonce.
pub(crate) async fn send(
    transport: &dyn Transport,
    endpoint: &Endpoint,
    auth: &dyn Auth,
    request: &Request,
    limits: &CallLimits,
) -> Result<RawResponse, Error> {
    let exchange = async {
        let mut renewals_left = true;
        let mut unsigned_retry_left = true;
        loop {
            let mut attempt = request.clone();
            let signed = match auth.authorize(request)? {
                Some(value) => {
                    attempt.headers.insert(AUTHORIZATION, value);
                    true
                }
                None => false,
            };
            let response = transport.send(endpoint, &attempt, limits.body_cap).await?;
            if response.status != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            if !signed && !unsigned_retry_left {
                // Asked again before any credentials went out: nothing was
                // refused, so this must not count as a failed login.
                return Err(Error::Protocol(
                    "the device asked for credentials again before any were sent".into(),
                ));
            }
            match auth.unauthorized(&response, signed, renewals_left)? {
                Retry::Refused if signed => return Err(Error::AuthFailed),
                // Unsigned and the scheme will not sign: the 401 is the answer.
                Retry::Refused => return Ok(response),
                Retry::Again => {
                    if signed {
                        renewals_left = false;
                    } else {
                        unsigned_retry_left = false;
                    }
                }
            }
        }
    };
    tokio::time::timeout(limits.deadline, exchange)
        .await
        .map_err(|_| Error::Timeout(limits.deadline))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::fake::FakeTransport;
    use crate::wsman::Password;

    fn creds() -> Credentials {
        Credentials {
            user: "admin".into(),
            password: Password::new("pw"),
        }
    }

    /// A WS-Man POST with Digest and the test credentials, through `fake`.
    async fn digest_post(fake: &FakeTransport) -> Result<RawResponse, Error> {
        send(
            fake,
            &Endpoint::http("h", 1),
            &DigestAuth::new(creds()),
            &Request::post("/wsman", "text/xml", "x"),
            &CallLimits::default(),
        )
        .await
    }

    fn reply(status: u16, challenge: Option<&str>) -> RawResponse {
        let mut headers = http::HeaderMap::new();
        if let Some(c) = challenge {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_str(c).unwrap());
        }
        RawResponse::new(
            StatusCode::from_u16(status).unwrap(),
            headers,
            b"ok".to_vec(),
        )
    }

    #[tokio::test]
    async fn basic_signs_only_after_being_asked_and_never_twice() {
        let fake = FakeTransport::new(|req, _| {
            match req.headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap()) {
                None => Ok(reply(401, Some("Basic realm=\"x\""))),
                Some("Basic YWRtaW46cHc=") => Ok(reply(200, None)),
                Some(_) => Ok(reply(401, Some("Basic realm=\"x\""))),
            }
        });
        let endpoint = Endpoint::http("h", 1);
        let auth = BasicAuth::new(creds());
        let r = send(
            &fake,
            &endpoint,
            &auth,
            &Request::get("/"),
            &CallLimits::default(),
        )
        .await
        .unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(fake.requests().len(), 2);

        let wrong = BasicAuth::new(Credentials {
            user: "admin".into(),
            password: Password::new("nope"),
        });
        let fake = FakeTransport::new(|_, _| Ok(reply(401, Some("Basic realm=\"x\""))));
        let err = send(
            &fake,
            &endpoint,
            &wrong,
            &Request::get("/"),
            &CallLimits::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(err, Error::AuthFailed);
        assert_eq!(fake.requests().len(), 2, "one signed attempt only");
    }

    #[tokio::test]
    async fn without_auth_a_401_is_the_answer() {
        let fake =
            FakeTransport::new(|_, _| Ok(reply(401, Some("Digest realm=\"r\", nonce=\"n\""))));
        let r = send(
            &fake,
            &Endpoint::http("h", 1),
            &NoAuth,
            &Request::get("/"),
            &CallLimits::default(),
        )
        .await
        .unwrap();
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(fake.requests().len(), 1);
    }

    /// A malformed Digest challenge leaves nothing to answer: no password
    /// proof is sent, so it is not a rejection (AMT's lockout and the
    /// scan's --auth-fail-limit count only those).
    #[tokio::test]
    async fn a_malformed_digest_challenge_is_not_a_rejection() {
        let challenges = [
            None,
            Some("Digest"),
            Some("Digest nonce=\"n\""),
            Some("Digest realm=\"r\""),
            Some("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-999"),
            Some("Negotiate"),
        ];
        for challenge in challenges {
            let fake = FakeTransport::new(move |_, _| Ok(reply(401, challenge)));
            let err = digest_post(&fake).await.unwrap_err();
            assert!(matches!(err, Error::Protocol(_)), "{challenge:?}: {err:?}");
            let sent = fake.requests();
            assert!(
                sent.iter().all(|r| !r.headers.contains_key(AUTHORIZATION)),
                "{challenge:?}: no credentials went out"
            );
        }
    }

    /// A scheme that asks to retry and then does not sign.
    #[derive(Debug)]
    struct NeverSigns;

    impl Auth for NeverSigns {
        fn authorize(&self, _: &Request) -> Result<Option<HeaderValue>, Error> {
            Ok(None)
        }

        fn unauthorized(&self, _: &RawResponse, _: bool, _: bool) -> Result<Retry, Error> {
            Ok(Retry::Again)
        }
    }

    #[tokio::test]
    async fn a_second_unsigned_401_is_no_failed_login() {
        let fake = FakeTransport::new(|_, _| Ok(reply(401, Some("Basic realm=\"x\""))));
        let err = send(
            &fake,
            &Endpoint::http("h", 1),
            &NeverSigns,
            &Request::get("/"),
            &CallLimits::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
        assert_eq!(fake.requests().len(), 2);
    }

    #[tokio::test]
    async fn a_device_that_challenges_forever_is_refused_after_three_sends() {
        let fake = FakeTransport::new(|_, i| {
            Ok(reply(
                401,
                Some(&format!(
                    "Digest realm=\"r\", nonce=\"n{i}\", stale=true, qop=\"auth\""
                )),
            ))
        });
        let err = digest_post(&fake).await.unwrap_err();
        assert_eq!(err, Error::AuthFailed);
        assert_eq!(fake.requests().len(), 3);
    }
}
