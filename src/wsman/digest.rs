//! HTTP Digest (RFC 2617 / 7616, MD5, qop=auth) state for one host.
//!
//! The arithmetic is the `digest_auth` crate's; this module decides which
//! challenge to answer, prefers `qop=auth`, and keeps the nonce so later
//! requests reuse it with an increasing `nc` instead of paying a 401 round
//! trip each time.

use std::sync::{Mutex, PoisonError};

use digest_auth::{AuthContext, HttpMethod, Qop, WwwAuthenticateHeader};

use super::{Credentials, Error};

/// A parsed Digest challenge.
#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    header: WwwAuthenticateHeader,
}

/// Longest challenge parameter accepted (realm, nonce, opaque, qop list).
const MAX_CHALLENGE_PARAM: usize = 1024;

impl Challenge {
    /// Parses one `WWW-Authenticate` value. Accepts every spelling AMT was
    /// seen to send: a space after some commas only, `stale` quoted or bare,
    /// `qop="auth"`, `qop="auth-int, auth"`, `qop="auth,auth-int"`.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let trimmed = value.trim();
        let scheme_ok = trimmed
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("digest"));
        if !scheme_ok {
            return Err(Error::Protocol(
                "WWW-Authenticate is not a Digest challenge".into(),
            ));
        }
        // digest_auth slices its input by char index; on non-ASCII input that
        // could split a code point and panic, and no real challenge needs it.
        if !trimmed.is_ascii() {
            let realm = trimmed
                .split_once("realm=")
                .map(|(_, r)| r.trim_start_matches('"').split('"').next().unwrap_or(r));
            return Err(Error::Protocol(match realm {
                Some(r) if !r.is_ascii() => format!(
                    "the Digest realm {} is not ASCII (AMT's is `Digest:` and 32 hex digits)",
                    crate::text::quoted(r)
                ),
                _ => "the Digest challenge holds non-ASCII characters".to_owned(),
            }));
        }
        // AMT's realm is 40 characters and its nonce 32; a parameter of
        // kilobytes is a hostile device, not a firmware variant.
        if let Some(long) = trimmed.split(',').find(|p| p.len() > MAX_CHALLENGE_PARAM) {
            let name = long.trim().split('=').next().unwrap_or_default();
            return Err(Error::Protocol(format!(
                "the Digest challenge's {} is {} bytes long (at most {MAX_CHALLENGE_PARAM} accepted)",
                crate::text::quoted(name.trim_start_matches("Digest").trim()),
                long.len()
            )));
        }
        let rest = trimmed.get(6..).unwrap_or_default();
        let mut header = WwwAuthenticateHeader::parse(rest).map_err(|e| {
            // digest_auth repeats the rest of the header in its message.
            Error::Protocol(format!(
                "unusable Digest challenge: {}",
                crate::text::bounded_line(&e.to_string(), 2 * crate::text::MAX_QUOTED_CHARS)
            ))
        })?;
        // digest_auth picks auth-int whenever offered. AMT offers it next to
        // auth on some 16.x builds; plain auth is what every AMT client sends
        // and is all we need, so answer with auth whenever it is there.
        if let Some(qops) = &header.qop {
            if qops.contains(&Qop::AUTH) {
                header.qop = Some(vec![Qop::AUTH]);
            }
        }
        Ok(Self { header })
    }

    /// Picks the Digest challenge among several `WWW-Authenticate` values
    /// (a server may also offer Negotiate or Basic).
    pub fn from_headers<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Self, Error> {
        let mut last_error = None;
        for value in values {
            match Self::parse(value) {
                Ok(c) => return Ok(c),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error
            .unwrap_or_else(|| Error::Protocol("401 without a WWW-Authenticate header".into())))
    }

    /// The realm (`Digest:` + 32 hex on AMT).
    pub fn realm(&self) -> &str {
        &self.header.realm
    }

    /// Whether the server said the nonce merely expired (the password was right).
    pub fn stale(&self) -> bool {
        self.header.stale
    }

    /// The qop the answer will use: `auth`, `auth-int`, or none (RFC 2069).
    pub fn qop(&self) -> Option<&'static str> {
        match self.header.qop.as_deref() {
            Some([Qop::AUTH, ..]) => Some("auth"),
            Some(q) if q.contains(&Qop::AUTH_INT) => Some("auth-int"),
            _ => None,
        }
    }
}

/// The Digest state of one host: the last accepted challenge and its `nc`.
#[derive(Debug, Default)]
pub struct DigestSession {
    current: Mutex<Option<WwwAuthenticateHeader>>,
}

impl DigestSession {
    /// A session that has not seen a challenge yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a nonce is held (so the next request can authenticate at once).
    pub fn has_challenge(&self) -> bool {
        self.lock().is_some()
    }

    /// Replaces the held challenge (after a 401).
    pub fn set_challenge(&self, challenge: Challenge) {
        *self.lock() = Some(challenge.header);
    }

    /// Forgets the held nonce (after the server refused it).
    pub fn clear(&self) {
        *self.lock() = None;
    }

    /// The `Authorization` value for the next request, with `nc` incremented;
    /// `None` when no challenge is held.
    pub fn authorization(
        &self,
        creds: &Credentials,
        method: &str,
        uri: &str,
        body: &[u8],
    ) -> Result<Option<String>, Error> {
        let mut guard = self.lock();
        let Some(header) = guard.as_mut() else {
            return Ok(None);
        };
        let context = AuthContext::new_with_method(
            creds.user.as_str(),
            creds.password.expose(),
            uri,
            Some(body),
            HttpMethod::from(method.to_owned()),
        );
        let answer = header
            .respond(&context)
            .map_err(|e| Error::Protocol(format!("cannot answer the Digest challenge: {e}")))?;
        Ok(Some(answer.to_header_string()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<WwwAuthenticateHeader>> {
        // The guarded value is replaced whole, never left half-written, so a
        // panic elsewhere while holding the lock cannot corrupt it.
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::Password;

    fn creds() -> Credentials {
        Credentials {
            user: "admin".into(),
            password: Password::new("P@ssw0rd"),
        }
    }

    #[test]
    fn every_amt_challenge_style_parses() {
        let cases = [
            // AMT 15.0.23 spelling: one space after the first comma only.
            (
                r#"Digest realm="Digest:727734D63A1FC0423736E48DA554E462", nonce="B9AX94iAAAAAAAAAx6rrSfPHGUrx/3uA",stale="false",qop="auth""#,
                false,
                Some("auth"),
            ),
            (
                r#"Digest realm="Digest:A1B20000000000000000000000000000", nonce="abc",stale="false",qop="auth-int, auth""#,
                false,
                Some("auth"),
            ),
            (
                r#"Digest realm="Digest:A1B20000000000000000000000000000",nonce="abc",stale=false,qop="auth,auth-int""#,
                false,
                Some("auth"),
            ),
            (
                r#"Digest realm="r",nonce="n",stale=true,qop="auth""#,
                true,
                Some("auth"),
            ),
            (
                r#"Digest realm="r", nonce="n", stale="TRUE", qop="auth""#,
                true,
                Some("auth"),
            ),
            (
                r#"Digest realm="r", nonce="n", qop="auth-int""#,
                false,
                Some("auth-int"),
            ),
            (r#"Digest realm="r", nonce="n""#, false, None),
            (
                r#"digest realm="r",nonce="n",algorithm=MD5,qop="auth""#,
                false,
                Some("auth"),
            ),
        ];
        for (value, stale, qop) in cases {
            let c = Challenge::parse(value).unwrap_or_else(|e| panic!("{value}: {e}"));
            assert_eq!(c.stale(), stale, "{value}");
            assert_eq!(c.qop(), qop, "{value}");
        }
        let c = Challenge::parse(cases[0].0).unwrap();
        assert_eq!(c.realm(), "Digest:727734D63A1FC0423736E48DA554E462");
    }

    #[test]
    fn broken_challenges_are_errors_not_panics() {
        for value in [
            "",
            "Basic realm=\"x\"",
            "Digest",
            "Digest nonce=\"n\"",
            "Digest realm=\"r\"",
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"",
            "Digest realm=\"é\", nonce=\"n\"",
            "Digest realm=\"r, nonce",
            "Digé",
        ] {
            assert!(Challenge::parse(value).is_err(), "{value}");
        }
    }

    #[test]
    fn digest_challenge_is_chosen_among_several() {
        let c =
            Challenge::from_headers(["Negotiate", r#"Digest realm="r", nonce="n", qop="auth""#])
                .unwrap();
        assert_eq!(c.realm(), "r");
        assert!(Challenge::from_headers([]).is_err());
    }

    #[test]
    fn nonce_is_reused_with_increasing_nc() {
        let session = DigestSession::new();
        assert!(!session.has_challenge());
        assert_eq!(
            session
                .authorization(&creds(), "POST", "/wsman", b"")
                .unwrap(),
            None
        );
        session.set_challenge(
            Challenge::parse(
                r#"Digest realm="Digest:00", nonce="N1",stale="false",qop="auth-int, auth""#,
            )
            .unwrap(),
        );
        let first = session
            .authorization(&creds(), "POST", "/wsman", b"x")
            .unwrap()
            .unwrap();
        let second = session
            .authorization(&creds(), "POST", "/wsman", b"x")
            .unwrap()
            .unwrap();
        assert!(first.contains("nc=00000001"), "{first}");
        assert!(second.contains("nc=00000002"), "{second}");
        assert!(
            first.contains("qop=auth,") || first.contains("qop=auth "),
            "{first}"
        );
        assert!(first.contains(r#"nonce="N1""#));
        assert!(!first.contains("P@ssw0rd"));
    }

    #[test]
    fn response_matches_rfc_2617_arithmetic() {
        // The RFC 2617 §3.2.2 formula, recomputed here from plain MD5.
        let md5 = digest_auth::Algorithm::new(digest_auth::AlgorithmType::MD5, false);
        let hex = |s: String| md5.hash(s.as_bytes());
        let session = DigestSession::new();
        session
            .set_challenge(Challenge::parse(r#"Digest realm="R", nonce="N", qop="auth""#).unwrap());
        let value = session
            .authorization(&creds(), "GET", "/x", b"")
            .unwrap()
            .unwrap();
        let parsed = digest_auth::AuthorizationHeader::parse(&value).unwrap();
        let ha1 = hex("admin:R:P@ssw0rd".into());
        let ha2 = hex("GET:/x".into());
        let cnonce = parsed.cnonce.clone().unwrap();
        let expected = hex(format!("{ha1}:N:00000001:{cnonce}:auth:{ha2}"));
        assert_eq!(parsed.response, expected);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_challenges_never_panic(value in "\\PC{0,120}") {
            let _ = Challenge::parse(&value);
            let _ = Challenge::parse(&format!("Digest {value}"));
        }

        #[test]
        fn challenge_like_text_never_panics(value in "Digest [a-z=\", ]{0,80}") {
            if let Ok(c) = Challenge::parse(&value) {
                let session = DigestSession::new();
                session.set_challenge(c);
                let _ = session.authorization(&creds(), "POST", "/wsman", b"");
            }
        }
    }
}
