//! HTTP Digest as AMT firmware does it: the challenge spelling, nonces that
//! expire and may be reused with an increasing nc, and account lockout.
//!
//! The Authorization header is parsed here rather than with `digest_auth`:
//! the response hash covers the `nc` text exactly as the client sent it
//! (`00000001`, `00000001` uppercase-hex from Perl LWP, or meshcmd's bare `6`),
//! and `digest_auth` keeps only the number; it also slices by character index,
//! which is unsafe on non-ASCII input from the network.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use md5::{Digest, Md5};

use crate::profile::LogonFailedPage;

/// Longest Authorization header we look at.
const MAX_AUTH_HEADER: usize = 4096;
/// Most nonces remembered at once per device; older ones are forgotten first.
const MAX_NONCES: usize = 4096;

fn md5_hex(data: &[u8]) -> String {
    let digest = Md5::digest(data);
    let mut s = String::with_capacity(32);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The fields of a Digest Authorization header, values unquoted.
pub fn parse_authorization(value: &str) -> Option<HashMap<String, String>> {
    if value.len() > MAX_AUTH_HEADER {
        return None;
    }
    let value = value.trim_start();
    let scheme_len = "Digest".len();
    if !value.get(..scheme_len)?.eq_ignore_ascii_case("Digest") {
        return None;
    }
    let mut chars = value.get(scheme_len..)?.chars().peekable();
    let mut fields = HashMap::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return None,
                    Some('"') => break,
                    Some('\\') => val.push(chars.next()?),
                    Some(c) => val.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                val.push(c);
                chars.next();
            }
        }
        fields.insert(name.to_ascii_lowercase(), val);
    }
    Some(fields)
}

/// What the Digest check decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Credentials good, nonce fresh, nc new.
    Accepted,
    /// No Authorization header: a plain challenge, not a failure.
    NoCredentials,
    /// Correct response on an expired or unknown nonce: challenge with stale="true".
    Stale,
    /// A correct response that repeats an nc already used with this nonce.
    Replay,
    /// Wrong user, password, realm, URI or a malformed header: a failed attempt.
    Failed,
    /// The account is locked; the answer looks like any other 401.
    Locked,
}

struct NonceInfo {
    issued: Instant,
    highest_nc: u64,
}

/// Settings the Digest check needs from the device configuration.
pub struct DigestSettings<'a> {
    pub user: &'a str,
    pub password: &'a str,
    pub realm: &'a str,
    pub qop: &'a str,
    pub nonce_lifetime: Duration,
    pub lockout: Lockout,
    /// Reproduce CVE-2017-5689: an empty `response` is accepted.
    pub accept_empty_response: bool,
}

/// AMT's login back-off, as Intel documents it: "Intel AMT detects ten
/// successive login failures, further login attempts are disallowed for a
/// period of time. The timeout period starts at 5 seconds and reaches 80
/// seconds during continuous attack. After one hour of no attack the backoff
/// mechanism is reset." (Intel AMT provisioning documentation, section
/// "Login Backoff Mechanism after failed login attempts", as quoted by Intel
/// staff on the Intel AMT forum, software.intel.com/forums/topic/284855.)
///
/// Where the text is silent, our reading: the delay doubles with each
/// lockout of the same attack (5, 10, 20, 40, 80 s, then 80 s), and once the
/// back-off has triggered, each further failure locks again at the next
/// step rather than after ten more; attempts while locked are refused and
/// count as attack (they restart the quiet hour) but do not lengthen the
/// lock; a successful login ends the attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Successive failures that start the back-off (0: never lock).
    pub threshold: u32,
    /// The first lockout's length.
    pub first: Duration,
    /// The longest lockout (at least `first`).
    pub ceiling: Duration,
    /// How long without a failure resets the back-off.
    pub reset_after: Duration,
}

impl Lockout {
    /// Intel's documented numbers.
    pub const INTEL: Lockout = Lockout {
        threshold: 10,
        first: Duration::from_secs(5),
        ceiling: Duration::from_secs(80),
        reset_after: Duration::from_secs(3600),
    };

    /// The length of the `level`-th lockout of an attack (0 is the first).
    pub fn delay(&self, level: u32) -> Duration {
        let grown = self.first.saturating_mul(1u32 << level.min(20));
        grown.min(self.ceiling.max(self.first))
    }
}

/// Per-device Digest state: nonces handed out and the back-off.
#[derive(Default)]
pub struct DigestState {
    nonces: HashMap<String, NonceInfo>,
    issued: u64,
    consecutive_failures: u32,
    locked_until: Option<Instant>,
    /// How many lockouts this attack has had.
    backoff_level: u32,
    /// The last failed or refused attempt.
    last_failure: Option<Instant>,
}

impl DigestState {
    /// Whether the account is locked right now.
    pub fn is_locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// A fresh nonce: 24 bytes, the first 8 a little-endian counter, then 4
    /// zero bytes (as on 11.8+), then 12 random bytes; base64, 32 characters.
    pub fn new_nonce(&mut self, now: Instant, lifetime: Duration) -> String {
        self.issued = self.issued.wrapping_add(1);
        let mut raw = [0u8; 24];
        let (counter, rest) = raw.split_at_mut(8);
        counter.copy_from_slice(&self.issued.to_le_bytes());
        if let Some(random) = rest.get_mut(4..) {
            rand::fill(random);
        }
        let nonce = base64::engine::general_purpose::STANDARD.encode(raw);
        if self.nonces.len() >= MAX_NONCES {
            self.nonces
                .retain(|_, info| now.duration_since(info.issued) < lifetime);
            if self.nonces.len() >= MAX_NONCES {
                if let Some(oldest) = self
                    .nonces
                    .iter()
                    .min_by_key(|(_, info)| info.issued)
                    .map(|(k, _)| k.clone())
                {
                    self.nonces.remove(&oldest);
                }
            }
        }
        self.nonces.insert(
            nonce.clone(),
            NonceInfo {
                issued: now,
                highest_nc: 0,
            },
        );
        nonce
    }

    /// Checks one request's Authorization header.
    pub fn check(
        &mut self,
        settings: &DigestSettings<'_>,
        authorization: Option<&str>,
        method: &str,
        request_path: &str,
        body: &[u8],
        now: Instant,
    ) -> AuthOutcome {
        let Some(header) = authorization else {
            return AuthOutcome::NoCredentials;
        };
        let lockout = settings.lockout;
        if self
            .last_failure
            .is_some_and(|t| now.duration_since(t) >= lockout.reset_after)
        {
            self.backoff_level = 0;
            self.consecutive_failures = 0;
            self.last_failure = None;
        }
        if self.is_locked(now) {
            self.last_failure = Some(now);
            return AuthOutcome::Locked;
        }
        let outcome = self.verify(settings, header, method, request_path, body, now);
        match outcome {
            AuthOutcome::Failed => {
                self.last_failure = Some(now);
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                let backing_off = self.backoff_level > 0;
                if lockout.threshold > 0
                    && (backing_off || self.consecutive_failures >= lockout.threshold)
                {
                    self.locked_until = Some(now + lockout.delay(self.backoff_level));
                    self.backoff_level = self.backoff_level.saturating_add(1);
                    self.consecutive_failures = 0;
                    return AuthOutcome::Locked;
                }
            }
            AuthOutcome::Accepted => {
                self.consecutive_failures = 0;
                self.backoff_level = 0;
                self.last_failure = None;
            }
            _ => {}
        }
        outcome
    }

    fn verify(
        &mut self,
        settings: &DigestSettings<'_>,
        header: &str,
        method: &str,
        request_path: &str,
        body: &[u8],
        now: Instant,
    ) -> AuthOutcome {
        let Some(fields) = parse_authorization(header) else {
            return AuthOutcome::Failed;
        };
        let get = |k: &str| fields.get(k).map(String::as_str);
        let (Some(user), Some(realm), Some(nonce), Some(uri), Some(response)) = (
            get("username"),
            get("realm"),
            get("nonce"),
            get("uri"),
            get("response"),
        ) else {
            return AuthOutcome::Failed;
        };
        if user != settings.user || realm != settings.realm {
            return AuthOutcome::Failed;
        }
        if response.is_empty() {
            // The vulnerable firmware compared only as many bytes as the client
            // sent, so zero bytes always matched.
            if settings.accept_empty_response {
                return AuthOutcome::Accepted;
            }
            return AuthOutcome::Failed;
        }
        if let Some(alg) = get("algorithm") {
            if !alg.eq_ignore_ascii_case("MD5") {
                return AuthOutcome::Failed;
            }
        }
        if uri_path(uri) != uri_path(request_path) {
            return AuthOutcome::Failed;
        }
        // Firmware always offers qop, so a response without it is refused.
        let (Some(qop), Some(nc_text), Some(cnonce)) = (get("qop"), get("nc"), get("cnonce"))
        else {
            return AuthOutcome::Failed;
        };
        let offered = settings.qop.split(',').any(|q| q.trim() == qop);
        if !offered {
            return AuthOutcome::Failed;
        }
        let ha2 = match qop {
            "auth" => md5_hex(format!("{method}:{uri}").as_bytes()),
            "auth-int" => md5_hex(format!("{method}:{uri}:{}", md5_hex(body)).as_bytes()),
            _ => return AuthOutcome::Failed,
        };
        let ha1 = md5_hex(format!("{user}:{realm}:{}", settings.password).as_bytes());
        let expected = md5_hex(format!("{ha1}:{nonce}:{nc_text}:{cnonce}:{qop}:{ha2}").as_bytes());
        if !constant_time_eq(
            expected.as_bytes(),
            response.to_ascii_lowercase().as_bytes(),
        ) {
            return AuthOutcome::Failed;
        }
        let Ok(nc) = u64::from_str_radix(nc_text, 16) else {
            return AuthOutcome::Failed;
        };
        let Some(info) = self.nonces.get_mut(nonce) else {
            return AuthOutcome::Stale;
        };
        if now.duration_since(info.issued) >= settings.nonce_lifetime {
            self.nonces.remove(nonce);
            return AuthOutcome::Stale;
        }
        if nc <= info.highest_nc {
            return AuthOutcome::Replay;
        }
        info.highest_nc = nc;
        AuthOutcome::Accepted
    }
}

/// The path part of a Digest `uri` (a path or a full URL) or request target.
fn uri_path(uri: &str) -> &str {
    let without_scheme = match uri.find("://") {
        Some(p) => {
            let after = uri.get(p + 3..).unwrap_or("");
            match after.find('/') {
                Some(slash) => after.get(slash..).unwrap_or("/"),
                None => "/",
            }
        }
        None => uri,
    };
    without_scheme
        .split(['?', '#'])
        .next()
        .unwrap_or(without_scheme)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The challenge exactly as firmware spells it: a space after the first
/// comma only, `stale` quoted, no algorithm, no opaque.
pub fn challenge(realm: &str, nonce: &str, stale: bool, qop: &str) -> String {
    format!("Digest realm=\"{realm}\", nonce=\"{nonce}\",stale=\"{stale}\",qop=\"{qop}\"")
}

/// The firmware's "Log on failed" page, byte for byte as AMT 11.8.50 (690
/// bytes) and 15.0.23 / 16.1.25 (693 bytes, `valign="middle"` on the logo
/// cell) send it (`../shared/captures/http/401-wsman-*`). No 8.x body was
/// captured, only its length (689, amtc issue 2); our reading is the 11.8
/// page with the stylesheet linked without the leading slash, the one byte
/// the length says is missing.
pub fn logon_failed_page(variant: LogonFailedPage) -> String {
    let (css, valign) = match variant {
        LogonFailedPage::Len689 => ("styles.css", "top"),
        LogonFailedPage::Len690 => ("/styles.css", "top"),
        LogonFailedPage::Len693 => ("/styles.css", "middle"),
    };
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" >\n\
<html><head><link rel=stylesheet href={css}>\n\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
<title>Intel&reg; Active Management Technology</title></head>\n\
<body>\n\
<table class=header>\n\
<tr><td valign=top nowrap>\n\
<p class=top1>Intel<font class=r><sup>&reg;</sup></font> Active Management Technology\n\
<td valign=\"{valign}\"><img src=\"logo.gif\" align=\"right\" alt=\"Intel\">\n\
</table>\n\
<br />\n\
<h2 class=warn>Log on failed. Incorrect user name or password, or user account temporarily locked.</h2>\n\
\n\
<p>\n\
<form METHOD=\"GET\" action=\"index.htm\"><h2><input type=submit value=\"Try again\">\n\
</h2></form>\n\
<p>\n\
\n\
</body>\n\
</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> DigestSettings<'static> {
        DigestSettings {
            user: "admin",
            password: "P@ssw0rd",
            realm: "Digest:52090000000000000000000000000000",
            qop: "auth",
            nonce_lifetime: Duration::from_secs(60),
            lockout: Lockout {
                threshold: 3,
                first: Duration::from_secs(60),
                ceiling: Duration::from_secs(60),
                reset_after: Duration::from_secs(3600),
            },
            accept_empty_response: false,
        }
    }

    fn answer(
        s: &DigestSettings<'_>,
        nonce: &str,
        nc: &str,
        password: &str,
        quoted: bool,
    ) -> String {
        let ha1 = md5_hex(format!("admin:{}:{password}", s.realm).as_bytes());
        let ha2 = md5_hex(b"POST:http://127.0.0.1:16992/wsman");
        let resp = md5_hex(format!("{ha1}:{nonce}:{nc}:abc:auth:{ha2}").as_bytes());
        let q = if quoted { "\"" } else { "" };
        format!(
            "Digest username=\"admin\", realm=\"{}\", nonce=\"{nonce}\", uri=\"http://127.0.0.1:16992/wsman\", qop={q}auth{q}, nc={q}{nc}{q}, cnonce=\"abc\", response=\"{resp}\"",
            s.realm
        )
    }

    #[test]
    fn pages_have_firmware_lengths() {
        assert_eq!(logon_failed_page(LogonFailedPage::Len689).len(), 689);
        assert_eq!(logon_failed_page(LogonFailedPage::Len690).len(), 690);
        assert_eq!(logon_failed_page(LogonFailedPage::Len693).len(), 693);
    }

    #[test]
    fn nonce_reuse_replay_stale_and_lockout() {
        let s = settings();
        let mut st = DigestState::default();
        let t0 = Instant::now();
        let nonce = st.new_nonce(t0, s.nonce_lifetime);
        assert_eq!(nonce.len(), 32);
        let ok = |st: &mut DigestState, nc: &str, quoted: bool, t: Instant| {
            st.check(
                &s,
                Some(&answer(&s, &nonce, nc, "P@ssw0rd", quoted)),
                "POST",
                "/wsman",
                b"",
                t,
            )
        };
        assert_eq!(ok(&mut st, "00000001", false, t0), AuthOutcome::Accepted);
        assert_eq!(ok(&mut st, "00000002", true, t0), AuthOutcome::Accepted);
        assert_eq!(ok(&mut st, "00000002", true, t0), AuthOutcome::Replay);
        assert_eq!(ok(&mut st, "3", true, t0), AuthOutcome::Accepted);
        let late = t0 + Duration::from_secs(61);
        assert_eq!(ok(&mut st, "00000004", false, late), AuthOutcome::Stale);

        let bad = answer(&s, &nonce, "00000009", "wrong", false);
        let n2 = st.new_nonce(late, s.nonce_lifetime);
        let _ = n2;
        assert_eq!(
            st.check(&s, Some(&bad), "POST", "/wsman", b"", late),
            AuthOutcome::Failed
        );
        assert_eq!(
            st.check(&s, Some(&bad), "POST", "/wsman", b"", late),
            AuthOutcome::Failed
        );
        assert_eq!(
            st.check(&s, Some(&bad), "POST", "/wsman", b"", late),
            AuthOutcome::Locked
        );
        assert!(st.is_locked(late));
        assert!(!st.is_locked(late + Duration::from_secs(61)));
    }

    #[test]
    fn backoff_follows_intels_numbers_and_resets_after_a_quiet_hour() {
        let mut s = settings();
        s.lockout = Lockout::INTEL;
        let mut st = DigestState::default();
        let t0 = Instant::now();
        let nonce = st.new_nonce(t0, s.nonce_lifetime);
        let bad = answer(&s, &nonce, "00000001", "wrong", false);
        let check =
            |st: &mut DigestState, t: Instant| st.check(&s, Some(&bad), "POST", "/wsman", b"", t);
        for _ in 0..9 {
            assert_eq!(check(&mut st, t0), AuthOutcome::Failed);
        }
        assert_eq!(check(&mut st, t0), AuthOutcome::Locked, "the tenth locks");
        assert!(st.is_locked(t0 + Duration::from_secs(4)));
        assert!(!st.is_locked(t0 + Duration::from_secs(5)));
        // Each further failure of the attack locks again, twice as long, up to 80 s.
        let mut t = t0;
        let mut lengths = Vec::new();
        for _ in 0..6 {
            t += Duration::from_secs(100);
            assert_eq!(check(&mut st, t), AuthOutcome::Locked);
            let mut len = 0;
            while st.is_locked(t + Duration::from_secs(len)) {
                len += 1;
            }
            lengths.push(len);
        }
        assert_eq!(lengths, [10, 20, 40, 80, 80, 80]);
        // An hour with no attempt resets it: ten failures again before a lock.
        t += Duration::from_secs(3600 + 80);
        for _ in 0..9 {
            assert_eq!(check(&mut st, t), AuthOutcome::Failed);
        }
        assert_eq!(check(&mut st, t), AuthOutcome::Locked);
        assert!(!st.is_locked(t + Duration::from_secs(5)), "back to 5 s");
    }

    #[test]
    fn empty_response_only_passes_on_vulnerable_firmware() {
        let mut s = settings();
        let h = format!(
            "Digest username=\"admin\", realm=\"{}\", nonce=\"x\", uri=\"/wsman\", qop=auth, nc=00000001, cnonce=\"c\", response=\"\"",
            s.realm
        );
        let mut st = DigestState::default();
        let now = Instant::now();
        assert_eq!(
            st.check(&s, Some(&h), "POST", "/wsman", b"", now),
            AuthOutcome::Failed
        );
        s.accept_empty_response = true;
        assert_eq!(
            st.check(&s, Some(&h), "POST", "/wsman", b"", now),
            AuthOutcome::Accepted
        );
    }

    #[test]
    fn malformed_headers_fail_without_panicking() {
        let s = settings();
        let mut st = DigestState::default();
        for h in [
            "",
            "Basic abc",
            "Digest",
            "Digest username=\"é\u{1F600}",
            "Digest a=\"unterminated",
        ] {
            let r = st.check(&s, Some(h), "POST", "/wsman", b"", Instant::now());
            assert!(
                matches!(r, AuthOutcome::Failed | AuthOutcome::Locked),
                "{h}"
            );
        }
    }

    #[test]
    fn challenge_spelling_matches_firmware() {
        assert_eq!(
            challenge("Digest:AB", "n", false, "auth-int, auth"),
            "Digest realm=\"Digest:AB\", nonce=\"n\",stale=\"false\",qop=\"auth-int, auth\""
        );
    }
}
