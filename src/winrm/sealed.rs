//! WinRM's default over HTTP: Negotiate authentication with NTLM, then every
//! message sealed with the session key (MS-WSMV §2.2.9.1, "Encrypted
//! message types"). Windows refuses plain SOAP on 5985 unless a listener has
//! `AllowUnencrypted` set, so this is what reaches a stock Windows host.
//!
//! It is a [`Transport`] over another one: the WS-Man session above it
//! posts plain SOAP and reads plain answers, and sees no authentication at
//! all. The NTLM context lives on one HTTP connection (HTTP.sys binds it to
//! the connection), which the per-host transport below keeps alive.
//!
//! NTLM itself is Devolutions' `sspi` (MS-NLMP), not hand-written.

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, DataRepresentation,
    EncryptionFlags, Ntlm, SecurityBuffer, SecurityBufferRef, SecurityStatus, Sspi, SspiImpl,
    Username,
};
use std::sync::Arc;

use crate::wsman::{Credentials, Endpoint, Error, RawResponse, Request, Transport};

/// The MIME boundary WinRM uses for sealed messages, dashes included.
const BOUNDARY: &str = "--Encrypted Boundary";
/// The content type of a sealed message (MS-WSMV §2.2.9.1.1).
pub(crate) const SEALED_CONTENT_TYPE: &str = "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\"";
/// The protocol a sealed answer must name.
const PROTOCOL: &str = "application/HTTP-SPNEGO-session-encrypted";
/// The SOAP content type the sealed part stands for.
const SOAP_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";
/// NTLM's signature (MS-NLMP §2.2.2.9.1): version, checksum, sequence number.
const NTLM_SIGNATURE_LEN: usize = 16;

/// Negotiate/NTLM with sealing over `inner`, for one host.
pub(crate) struct SealedTransport {
    inner: Arc<dyn Transport>,
    credentials: Credentials,
    state: tokio::sync::Mutex<Option<Box<Ntlm>>>,
}

impl fmt::Debug for SealedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedTransport")
            .field("inner", &self.inner)
            .field("user", &self.credentials.user)
            .finish_non_exhaustive()
    }
}

impl SealedTransport {
    /// NTLM as `credentials.user` (`user`, `DOMAIN\user` or `user@domain`).
    pub(crate) fn new(inner: Arc<dyn Transport>, credentials: Credentials) -> Self {
        Self {
            inner,
            credentials,
            state: tokio::sync::Mutex::new(None),
        }
    }

    async fn exchange(
        &self,
        endpoint: &Endpoint,
        request: &Request,
        body_cap: usize,
    ) -> Result<RawResponse, Error> {
        let mut state = self.state.lock().await;
        let ntlm = match state.take() {
            Some(ntlm) => ntlm,
            None => match self.authenticate(endpoint, body_cap).await? {
                Handshake::Established(ntlm) => ntlm,
                // As for a scheme that will not sign (wsman::auth::send):
                // the 401 is the answer, and the caller reads it as such.
                Handshake::NotOffered(challenge) => return Ok(challenge),
            },
        };
        let ntlm = state.insert(ntlm);
        let mut sealed = request.clone();
        sealed.body = Bytes::from(seal(ntlm, &request.body)?);
        sealed
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(SEALED_CONTENT_TYPE));
        // A sealed request advances the sequence numbers: sent again on a
        // fresh connection it could never be unsealed there.
        sealed.retry_safe = false;
        let mut response = self.inner.send(endpoint, &sealed, body_cap).await?;
        if response.status == StatusCode::UNAUTHORIZED {
            // The context was accepted and is now refused: the listener
            // dropped the connection it lived on, or the account changed.
            *state = None;
            return Err(Error::AuthFailed);
        }
        let is_sealed = response
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.to_ascii_lowercase()
                    .contains(&PROTOCOL.to_ascii_lowercase())
            });
        if is_sealed {
            response.body = unseal(ntlm, &response.body)?;
            response
                .headers
                .insert(CONTENT_TYPE, HeaderValue::from_static(SOAP_CONTENT_TYPE));
        } else if response.status == StatusCode::OK {
            // Windows seals every answer of a sealed session; a plain one is
            // not from the host that proved itself, so it is never read.
            return Err(Error::Protocol(
                "sealed session: the answer is not sealed".into(),
            ));
        } else {
            // HTTP.sys's own error answers (400, 500) are plain: their status
            // is the answer, their body nothing to trust.
            response.body.clear();
        }
        Ok(response)
    }

    /// The three-leg NTLM exchange on empty POSTs, as WinRM clients do it
    /// before the first sealed message: NEGOTIATE, the server's CHALLENGE on
    /// a 401, AUTHENTICATE. The credentials go out once.
    async fn authenticate(&self, endpoint: &Endpoint, body_cap: usize) -> Result<Handshake, Error> {
        let username = Username::parse(&self.credentials.user).map_err(|_| {
            // About every class alike: the read stops here, nothing was sent.
            Error::AuthUnanswerable("NTLM: the --winrm-user is not a Windows account name".into())
        })?;
        let identity = AuthIdentity {
            username,
            password: self.credentials.password.expose().to_owned().into(),
        };
        let mut ntlm = Ntlm::new();
        let mut credentials = ntlm
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&identity)
            .execute(&mut ntlm)
            .map_err(ntlm_error)?
            .credentials_handle;
        let target = format!("HTTP/{}", endpoint.bare_host());
        let negotiate = initialize(&mut ntlm, &mut credentials, &target, None)?;

        let challenged = self
            .inner
            .send(endpoint, &token_request(&negotiate)?, body_cap)
            .await?;
        if challenged.status != StatusCode::UNAUTHORIZED {
            // No challenge at all (not a WinRM listener, or one that does
            // not authenticate): nothing was refused, and the host was not
            // let in either, so neither a rejection nor a class-level error.
            return Err(unreadable_challenge(format!(
                "HTTP {} to the NEGOTIATE message, not a 401 with a challenge",
                challenged.status.as_u16()
            )));
        }
        // Up to the AUTHENTICATE message no password proof has left, so
        // nothing here may be an AuthFailed: that would count toward
        // --auth-fail-limit a login that never happened.
        let challenge = match negotiate_token(&challenged) {
            Token::Found(token) => token,
            Token::Unreadable(why) => return Err(unreadable_challenge(why)),
            Token::Absent if offers(&challenged, "negotiate") => {
                return Err(unreadable_challenge(
                    "the 401 offers Negotiate again with no token (NTLM refused by the listener?)",
                ))
            }
            Token::Absent => return Ok(Handshake::NotOffered(challenged)),
        };
        check_challenge(&challenge).map_err(unreadable_challenge)?;
        let authenticate = initialize(&mut ntlm, &mut credentials, &target, Some(challenge))
            .map_err(|e| match e {
                Error::Protocol(why) => unreadable_challenge(why),
                other => other,
            })?;

        let answered = self
            .inner
            .send(endpoint, &token_request(&authenticate)?, body_cap)
            .await?;
        match answered.status {
            StatusCode::OK => Ok(Handshake::Established(Box::new(ntlm))),
            StatusCode::UNAUTHORIZED => Err(Error::AuthFailed),
            other => Err(Error::HttpStatus(other.as_u16())),
        }
    }
}

/// One InitializeSecurityContext call: the NEGOTIATE message without a
/// server token, the AUTHENTICATE message from the CHALLENGE.
fn initialize(
    ntlm: &mut Ntlm,
    credentials: &mut <Ntlm as SspiImpl>::CredentialsHandle,
    target: &str,
    server_token: Option<Vec<u8>>,
) -> Result<Vec<u8>, Error> {
    let flags = ClientRequestFlags::CONFIDENTIALITY
        | ClientRequestFlags::INTEGRITY
        | ClientRequestFlags::ALLOCATE_MEMORY;
    let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
    let mut input: Vec<SecurityBuffer> = server_token
        .map(|token| SecurityBuffer::new(token, BufferType::Token))
        .into_iter()
        .collect();
    let builder = ntlm
        .initialize_security_context()
        .with_credentials_handle(credentials)
        .with_context_requirements(flags)
        .with_target_data_representation(DataRepresentation::Native)
        .with_target_name(target)
        .with_output(&mut output);
    let mut builder = if input.is_empty() {
        builder
    } else {
        builder.with_input(&mut input)
    };
    let status = ntlm
        .initialize_security_context_impl(&mut builder)
        .and_then(|mut g| g.resolve_to_result())
        .map_err(ntlm_error)?
        .status;
    if matches!(
        status,
        SecurityStatus::CompleteAndContinue | SecurityStatus::CompleteNeeded
    ) {
        ntlm.complete_auth_token(&mut output).map_err(ntlm_error)?;
    }
    Ok(std::mem::take(&mut output[0].buffer))
}

/// How the NTLM exchange ended when it did not fail.
enum Handshake {
    Established(Box<Ntlm>),
    /// The listener's 401 offers no Negotiate: it never saw the credentials.
    NotOffered(RawResponse),
}

impl Transport for SealedTransport {
    fn send<'a>(
        &'a self,
        endpoint: &'a Endpoint,
        request: &'a Request,
        body_cap: usize,
    ) -> BoxFuture<'a, Result<RawResponse, Error>> {
        Box::pin(self.exchange(endpoint, request, body_cap))
    }
}

/// An empty POST carrying an NTLM token, as WinRM clients send them.
fn token_request(token: &[u8]) -> Result<Request, Error> {
    let value = format!(
        "Negotiate {}",
        base64::engine::general_purpose::STANDARD.encode(token)
    );
    let mut request = Request::post(crate::winrm::PATH, SOAP_CONTENT_TYPE, Bytes::new());
    let mut value = HeaderValue::from_str(&value)
        .map_err(|_| Error::Protocol("NTLM: the token is not a valid header".into()))?;
    value.set_sensitive(true);
    request.headers.insert(AUTHORIZATION, value);
    Ok(request)
}

/// Whether a 401 offers `scheme`.
fn offers(response: &RawResponse, scheme: &str) -> bool {
    response
        .headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split_whitespace()
                .next()
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        })
}

/// What a 401's `WWW-Authenticate: Negotiate <base64>` headers hold.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    Found(Vec<u8>),
    /// A Negotiate header whose token is not base64.
    Unreadable(&'static str),
    /// No Negotiate header with a token.
    Absent,
}

fn negotiate_token(response: &RawResponse) -> Token {
    let mut found = Token::Absent;
    let values = response.headers.get_all(WWW_AUTHENTICATE);
    for value in values.iter() {
        // Lossy: a non-ASCII Negotiate token is unreadable, not absent.
        let value = String::from_utf8_lossy(value.as_bytes());
        let Some((scheme, token)) = value.trim().split_once(' ') else {
            continue;
        };
        if !scheme.eq_ignore_ascii_case("negotiate") {
            continue;
        }
        match base64::engine::general_purpose::STANDARD.decode(token.trim()) {
            Ok(token) => return Token::Found(token),
            Err(_) => found = Token::Unreadable("the Negotiate token is not base64"),
        }
    }
    found
}

/// Checks the server's token is an NTLM CHALLENGE (MS-NLMP §2.2.1.2) that
/// agrees to sign and seal, before the password proof is computed and sent:
/// WinRM on HTTP reads nothing but sealed messages, so a server that will
/// not seal could only cost the account a logon.
fn check_challenge(token: &[u8]) -> Result<(), String> {
    /// NTLMSSP_NEGOTIATE_SIGN and NTLMSSP_NEGOTIATE_SEAL (MS-NLMP §2.2.2.5).
    const SIGN_AND_SEAL: u32 = 0x10 | 0x20;
    let Some(rest) = token.strip_prefix(b"NTLMSSP\0") else {
        return Err(format!("a {}-byte token that is not NTLM", token.len()));
    };
    let word = |at: usize| {
        rest.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
    };
    match word(0) {
        Some(2) => {}
        Some(other) => return Err(format!("an NTLM message of type {other}, not a CHALLENGE")),
        None => return Err("a truncated NTLM message".into()),
    }
    // After the type: TargetNameFields (8 bytes), then NegotiateFlags, then
    // the 8-byte ServerChallenge.
    let flags = word(12).filter(|_| rest.len() >= 24);
    let Some(flags) = flags else {
        return Err("a truncated CHALLENGE".into());
    };
    if flags & SIGN_AND_SEAL != SIGN_AND_SEAL {
        return Err("the server will not sign and seal the session".into());
    }
    Ok(())
}

/// Why the server's CHALLENGE could not be answered: no password proof was
/// sent, so this is not a rejection of the credentials, and it is about the
/// host, not one class (so the read stops instead of trying every class).
fn unreadable_challenge(why: impl fmt::Display) -> Error {
    Error::AuthUnanswerable(format!(
        "the NTLM challenge could not be read: {}",
        crate::text::bounded_line(&why.to_string(), 120)
    ))
}

fn ntlm_error(e: sspi::Error) -> Error {
    Error::Protocol(format!(
        "NTLM: {}",
        crate::text::bounded_line(&format!("{:?}", e.error_type), 80)
    ))
}

/// Seals `plain` into WinRM's MIME framing: a header part naming the
/// original type and length, then a part holding the signature length
/// (u32, little-endian), the signature, and the sealed bytes.
pub(crate) fn seal(ntlm: &mut Ntlm, plain: &[u8]) -> Result<Vec<u8>, Error> {
    let mut signature = [0u8; NTLM_SIGNATURE_LEN];
    let mut data = plain.to_vec();
    let mut buffers = [
        SecurityBufferRef::token_buf(&mut signature),
        SecurityBufferRef::data_buf(&mut data),
    ];
    ntlm.encrypt_message(EncryptionFlags::empty(), &mut buffers)
        .map_err(ntlm_error)?;
    Ok(frame(&signature, &data, plain.len()))
}

/// The MIME framing of a sealed message (MS-WSMV §2.2.9.1.1).
pub(crate) fn frame(signature: &[u8], sealed: &[u8], original_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(sealed.len() + 256);
    out.extend_from_slice(BOUNDARY.as_bytes());
    out.extend_from_slice(b"\r\n\tContent-Type: ");
    out.extend_from_slice(PROTOCOL.as_bytes());
    out.extend_from_slice(b"\r\n\tOriginalContent: type=");
    out.extend_from_slice(SOAP_CONTENT_TYPE.as_bytes());
    out.extend_from_slice(format!(";Length={original_len}\r\n").as_bytes());
    out.extend_from_slice(BOUNDARY.as_bytes());
    out.extend_from_slice(b"\r\n\tContent-Type: application/octet-stream\r\n");
    out.extend_from_slice(&(signature.len() as u32).to_le_bytes());
    out.extend_from_slice(signature);
    out.extend_from_slice(sealed);
    out.extend_from_slice(BOUNDARY.as_bytes());
    out.extend_from_slice(b"--\r\n");
    out
}

/// The parts of a sealed message: signature, sealed bytes, declared length.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Framed<'a> {
    pub signature: &'a [u8],
    pub sealed: &'a [u8],
    pub original_len: usize,
}

/// Reads WinRM's MIME framing. Anything that is not exactly it is an error
/// naming what is missing; nothing is trusted for a length beyond the body.
pub(crate) fn unframe(body: &[u8]) -> Result<Framed<'_>, Error> {
    let bad = |what: &str| Error::Protocol(format!("sealed answer: {what}"));
    let rest = body
        .strip_prefix(BOUNDARY.as_bytes())
        .ok_or_else(|| bad("does not start with the Encrypted Boundary"))?;
    let second = find(rest, BOUNDARY.as_bytes()).ok_or_else(|| bad("one MIME part only"))?;
    let header = std::str::from_utf8(&rest[..second]).map_err(|_| bad("a header is not text"))?;
    let original_len = header
        .split("Length=")
        .nth(1)
        .map(|v| v.trim().trim_end_matches(';'))
        .and_then(|v| v.parse::<usize>().ok())
        .ok_or_else(|| bad("no OriginalContent Length"))?;
    let part = &rest[second + BOUNDARY.len()..];
    let marker = b"\r\n\tContent-Type: application/octet-stream\r\n";
    let payload = part
        .strip_prefix(&marker[..])
        .ok_or_else(|| bad("the second part is not application/octet-stream"))?;
    let end = format!("{BOUNDARY}--");
    let payload_end = rfind(payload, end.as_bytes()).ok_or_else(|| bad("no closing boundary"))?;
    let payload = &payload[..payload_end];
    let (len_bytes, payload) = payload
        .split_first_chunk::<4>()
        .ok_or_else(|| bad("truncated before the signature"))?;
    let signature_len = u32::from_le_bytes(*len_bytes) as usize;
    if signature_len != NTLM_SIGNATURE_LEN {
        return Err(bad(&format!(
            "a {signature_len}-byte signature where NTLM's is {NTLM_SIGNATURE_LEN}"
        )));
    }
    if payload.len() < signature_len {
        return Err(bad("truncated inside the signature"));
    }
    let (signature, sealed) = payload.split_at(signature_len);
    if sealed.len() != original_len {
        return Err(bad(&format!(
            "{} sealed bytes where the header says {original_len}",
            sealed.len()
        )));
    }
    Ok(Framed {
        signature,
        sealed,
        original_len,
    })
}

/// Unseals an answer; a wrong signature (a tampered or misordered message)
/// is an error, never garbage handed to the XML parser.
pub(crate) fn unseal(ntlm: &mut Ntlm, body: &[u8]) -> Result<Vec<u8>, Error> {
    let framed = unframe(body)?;
    let mut signature = framed.signature.to_vec();
    let mut data = framed.sealed.to_vec();
    let mut buffers = [
        SecurityBufferRef::token_buf(&mut signature),
        SecurityBufferRef::data_buf(&mut data),
    ];
    ntlm.decrypt_message(&mut buffers)
        .map_err(|_| Error::Protocol("sealed answer: the NTLM signature does not verify".into()))?;
    Ok(data)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::fake::FakeTransport;
    use crate::wsman::Password;

    /// A listener that answers every request with `status` and, when given,
    /// the `WWW-Authenticate` challenge.
    fn answering(status: u16, challenge: Option<&'static str>) -> Arc<FakeTransport> {
        Arc::new(FakeTransport::new(move |_, _| {
            let mut headers = http::HeaderMap::new();
            if let Some(c) = challenge {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(c));
            }
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok(RawResponse::new(status, headers, Vec::new()))
        }))
    }

    /// One sealed WinRM request as Administrator through `fake`.
    async fn send_as_administrator(fake: &Arc<FakeTransport>) -> Result<RawResponse, Error> {
        let sealed = SealedTransport::new(
            fake.clone(),
            Credentials {
                user: "Administrator".into(),
                password: Password::new("pw"),
            },
        );
        let request = Request::post(crate::winrm::PATH, SOAP_CONTENT_TYPE, "<s:Envelope/>");
        sealed
            .send(&Endpoint::http("h", 5985), &request, 1 << 20)
            .await
    }

    #[tokio::test]
    async fn a_listener_without_negotiate_gets_no_credentials_and_its_401_is_the_answer() {
        let fake = answering(401, Some("Basic realm=\"WSMAN\""));
        let answer = send_as_administrator(&fake).await.unwrap();
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        let sent = fake.requests();
        assert_eq!(sent.len(), 1, "only the NEGOTIATE message went out");
        let authorization = sent[0].headers[AUTHORIZATION].to_str().unwrap();
        let token = authorization.strip_prefix("Negotiate ").unwrap();
        let token = base64::engine::general_purpose::STANDARD
            .decode(token)
            .unwrap();
        assert!(token.starts_with(b"NTLMSSP\0\x01\0\0\0"), "{token:?}");
        assert!(sent[0].body.is_empty(), "the SOAP body waits for a context");
    }

    /// A CHALLENGE message's fixed part with these flags.
    fn challenge_with(flags: u32) -> Vec<u8> {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&2u32.to_le_bytes());
        m.extend_from_slice(&[0, 0, 0, 0, 48, 0, 0, 0]);
        m.extend_from_slice(&flags.to_le_bytes());
        m.extend_from_slice(&[0x11; 8]);
        m.extend_from_slice(&[0; 16]);
        m
    }

    #[test]
    fn only_a_challenge_that_will_sign_and_seal_is_answered() {
        // NEGOTIATE_UNICODE | NTLM | ALWAYS_SIGN | SIGN | SEAL | KEY_EXCH.
        assert_eq!(check_challenge(&challenge_with(0x4000_8231)), Ok(()));
        let refused: [(Vec<u8>, &str); 5] = [
            (challenge_with(0x0000_8201), "will not sign and seal"),
            (challenge_with(0x0000_8211), "will not sign and seal"),
            (challenge_with(0x4000_8231)[..30].to_vec(), "truncated"),
            (b"NTLMSSP\0\x03\0\0\0".to_vec(), "type 3"),
            (b"hello world".to_vec(), "not NTLM"),
        ];
        for (token, why) in refused {
            let err = check_challenge(&token).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn a_garbage_token_is_told_from_none() {
        let with = |values: &[&'static str]| {
            let mut headers = http::HeaderMap::new();
            for v in values {
                headers.append(WWW_AUTHENTICATE, HeaderValue::from_static(v));
            }
            negotiate_token(&RawResponse::new(
                StatusCode::UNAUTHORIZED,
                headers,
                Vec::new(),
            ))
        };
        assert_eq!(with(&["Negotiate aGk="]), Token::Found(b"hi".to_vec()));
        assert_eq!(
            with(&["Negotiate %%%", "Negotiate aGk="]),
            Token::Found(b"hi".to_vec())
        );
        assert!(matches!(with(&["Negotiate %%%"]), Token::Unreadable(_)));
        assert_eq!(with(&["Negotiate", "Basic realm=\"x\""]), Token::Absent);
        let mut headers = http::HeaderMap::new();
        let odd = |b: &[u8]| HeaderValue::from_bytes(b).unwrap();
        headers.append(WWW_AUTHENTICATE, odd(b"Basic realm=\"caf\xc3\xa9\""));
        let basic = RawResponse::new(StatusCode::UNAUTHORIZED, headers.clone(), Vec::new());
        assert_eq!(negotiate_token(&basic), Token::Absent);
        headers.append(WWW_AUTHENTICATE, odd(b"Negotiate TlRM\xff"));
        let garbled = RawResponse::new(StatusCode::UNAUTHORIZED, headers, Vec::new());
        assert!(matches!(negotiate_token(&garbled), Token::Unreadable(_)));
        assert_eq!(with(&[]), Token::Absent);
    }

    #[tokio::test]
    async fn no_challenge_to_the_negotiate_message_stops_the_read_without_a_login() {
        let challenges: [(u16, Option<&'static str>); 4] = [
            (200, None),
            (404, None),
            (401, Some("Negotiate")),
            (401, Some("Negotiate @@@")),
        ];
        for (status, challenge) in challenges {
            let fake = answering(status, challenge);
            let err = send_as_administrator(&fake).await.unwrap_err();
            assert!(
                matches!(err, Error::AuthUnanswerable(ref why) if why.contains("NTLM challenge")),
                "{status} {challenge:?}: {err:?}"
            );
            assert_eq!(fake.requests().len(), 1, "{status}: NEGOTIATE only");
        }
    }

    #[test]
    fn framing_round_trips_and_rejects_what_is_not_it() {
        let body = frame(&[7u8; 16], b"sealed!", 7);
        let framed = unframe(&body).unwrap();
        assert_eq!(framed.signature, &[7u8; 16]);
        assert_eq!(framed.sealed, b"sealed!");
        assert_eq!(framed.original_len, 7);

        for cut in [0, 10, 60, body.len() - 30, body.len() - 3] {
            assert!(unframe(&body[..cut]).is_err(), "cut at {cut}");
        }
        let lying = frame(&[7u8; 16], b"sealed!", 70_000);
        assert!(unframe(&lying).is_err());
        let odd_signature = frame(&[7u8; 3], b"sealed!", 7);
        assert!(unframe(&odd_signature).is_err());
        assert!(unframe(b"<s:Envelope/>").is_err());
    }
}
