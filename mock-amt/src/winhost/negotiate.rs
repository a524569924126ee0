//! The Windows side of WinRM's default auth on HTTP: Negotiate with a raw
//! NTLM token (what `pywinrm`'s `ntlm` transport and `amtready` send), the
//! context kept on the connection as HTTP.sys keeps it, and messages sealed
//! in MS-WSMV §2.2.9.1's MIME framing. NTLM is Devolutions' `sspi`, server
//! side.
//!
//! SPNEGO-wrapped tokens (Kerberos-first clients) are refused with a fresh
//! 401: a mock with no domain controller has no Kerberos to negotiate.

use base64::Engine as _;
use sspi::{
    AuthIdentity, BufferType, CredentialUse, DataRepresentation, EncryptionFlags, Ntlm,
    SecurityBuffer, SecurityBufferRef, SecurityStatus, ServerRequestFlags, Sspi, SspiImpl,
    Username,
};

/// WinRM's boundary for sealed messages, dashes included.
const BOUNDARY: &str = "--Encrypted Boundary";
/// The protocol a sealed message names.
const PROTOCOL: &str = "application/HTTP-SPNEGO-session-encrypted";
/// The content type of a sealed answer, as Windows writes it.
pub const SEALED_CONTENT_TYPE: &str = "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\"";
/// NTLM signatures are 16 bytes (MS-NLMP §2.2.2.9.1).
const SIGNATURE_LEN: usize = 16;

/// An NTLM message's type, from its header (MS-NLMP §2.2.1).
fn message_type(token: &[u8]) -> Option<u32> {
    let rest = token.strip_prefix(b"NTLMSSP\0")?;
    let bytes: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

/// A connection's authentication, from the first NTLM token to the sealed
/// conversation.
#[derive(Default)]
pub enum State {
    #[default]
    None,
    /// NEGOTIATE seen, CHALLENGE sent.
    Challenged(Box<Server>),
    /// AUTHENTICATE accepted: messages on this connection are sealed.
    Established(Box<Server>),
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::None => "None",
            State::Challenged(_) => "Challenged",
            State::Established(_) => "Established",
        })
    }
}

impl State {
    pub fn established(&mut self) -> Option<&mut Server> {
        match self {
            State::Established(server) => Some(server),
            _ => None,
        }
    }
}

/// One NTLM server context and the account it accepts.
pub struct Server {
    ntlm: Ntlm,
    credentials: <Ntlm as SspiImpl>::CredentialsHandle,
    user: String,
}

/// What one Negotiate token leads to.
pub enum Step {
    /// Send this CHALLENGE on a 401.
    Challenge(Vec<u8>),
    /// The client proved the password: answer the request.
    Accepted,
    /// Refused (wrong password, wrong user, a token out of order).
    Refused,
}

/// Reads one `Authorization: Negotiate` token on a connection.
pub fn step(state: &mut State, token_b64: &str, user: &str, password: &str) -> Step {
    let Ok(token) = base64::engine::general_purpose::STANDARD.decode(token_b64.trim()) else {
        *state = State::None;
        return Step::Refused;
    };
    match (message_type(&token), std::mem::take(state)) {
        (Some(1), _) => match Server::new(user, password).and_then(|mut s| {
            let (_, challenge) = s.accept(token)?;
            Some((s, challenge))
        }) {
            Some((server, challenge)) => {
                *state = State::Challenged(Box::new(server));
                Step::Challenge(challenge)
            }
            None => Step::Refused,
        },
        (Some(3), State::Challenged(mut server)) => {
            if server.authenticate(token) {
                *state = State::Established(server);
                Step::Accepted
            } else {
                Step::Refused
            }
        }
        _ => Step::Refused,
    }
}

impl Server {
    fn new(user: &str, password: &str) -> Option<Self> {
        let identity = AuthIdentity {
            username: Username::new(user, None).ok()?,
            password: password.to_owned().into(),
        };
        let mut ntlm = Ntlm::new();
        let credentials = ntlm
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Inbound)
            .with_auth_data(&identity)
            .execute(&mut ntlm)
            .ok()?
            .credentials_handle;
        Some(Self {
            ntlm,
            credentials,
            user: user.to_owned(),
        })
    }

    /// Feeds a client token; returns the status and the server's answer
    /// token.
    fn accept(&mut self, token: Vec<u8>) -> Option<(SecurityStatus, Vec<u8>)> {
        let mut input = vec![SecurityBuffer::new(token, BufferType::Token)];
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let builder = self
            .ntlm
            .accept_security_context()
            .with_credentials_handle(&mut self.credentials)
            .with_context_requirements(ServerRequestFlags::ALLOCATE_MEMORY)
            .with_target_data_representation(DataRepresentation::Native)
            .with_input(&mut input)
            .with_output(&mut output);
        let status = self
            .ntlm
            .accept_security_context_impl(builder)
            .and_then(|mut g| g.resolve_to_result())
            .ok()?
            .status;
        Some((status, std::mem::take(&mut output[0].buffer)))
    }

    /// AUTHENTICATE: the NTLMv2 proof checks against the password (sspi's
    /// `complete_auth_token`), and the account is the one this host has.
    fn authenticate(&mut self, token: Vec<u8>) -> bool {
        let Some((status, _)) = self.accept(token) else {
            return false;
        };
        if matches!(
            status,
            SecurityStatus::CompleteNeeded | SecurityStatus::CompleteAndContinue
        ) {
            let mut none = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
            if self.ntlm.complete_auth_token(&mut none).is_err() {
                return false;
            }
        }
        let Ok(names) = self.ntlm.query_context_names() else {
            return false;
        };
        names
            .username
            .account_name()
            .eq_ignore_ascii_case(&self.user)
    }

    /// Unseals a request body; `None` when it is not a sealed message or
    /// its signature does not verify.
    pub fn unseal(&mut self, body: &[u8]) -> Option<Vec<u8>> {
        let (signature, sealed) = unframe(body)?;
        let mut signature = signature.to_vec();
        let mut data = sealed.to_vec();
        let mut buffers = [
            SecurityBufferRef::token_buf(&mut signature),
            SecurityBufferRef::data_buf(&mut data),
        ];
        self.ntlm.decrypt_message(&mut buffers).ok()?;
        Some(data)
    }

    /// Seals an answer body in WinRM's framing.
    pub fn seal(&mut self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut signature = [0u8; SIGNATURE_LEN];
        let mut data = plain.to_vec();
        let mut buffers = [
            SecurityBufferRef::token_buf(&mut signature),
            SecurityBufferRef::data_buf(&mut data),
        ];
        self.ntlm
            .encrypt_message(EncryptionFlags::empty(), &mut buffers)
            .ok()?;
        let mut out = Vec::with_capacity(data.len() + 200);
        out.extend_from_slice(
            format!(
                "{BOUNDARY}\r\n\tContent-Type: {PROTOCOL}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={}\r\n{BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n",
                plain.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&(SIGNATURE_LEN as u32).to_le_bytes());
        out.extend_from_slice(&signature);
        out.extend_from_slice(&data);
        out.extend_from_slice(format!("{BOUNDARY}--\r\n").as_bytes());
        Some(out)
    }
}

/// Whether a request's Content-Type is a sealed message.
pub fn is_sealed(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|v| {
        v.to_ascii_lowercase()
            .contains(&PROTOCOL.to_ascii_lowercase())
    })
}

/// The signature and sealed bytes of a framed message, checked against the
/// declared length.
fn unframe(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = body.strip_prefix(BOUNDARY.as_bytes())?;
    let second = find(rest, BOUNDARY.as_bytes())?;
    let header = std::str::from_utf8(&rest[..second]).ok()?;
    let declared: usize = header.split("Length=").nth(1)?.trim().parse().ok()?;
    let part = rest[second + BOUNDARY.len()..]
        .strip_prefix(b"\r\n\tContent-Type: application/octet-stream\r\n".as_slice())?;
    let end = rfind(part, format!("{BOUNDARY}--").as_bytes())?;
    let (len, payload) = part[..end].split_first_chunk::<4>()?;
    if u32::from_le_bytes(*len) as usize != SIGNATURE_LEN || payload.len() < SIGNATURE_LEN {
        return None;
    }
    let (signature, sealed) = payload.split_at(SIGNATURE_LEN);
    (sealed.len() == declared).then_some((signature, sealed))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}
