//! The request router: which path goes to which service, the Digest gate in
//! front of the protected ones, and the answer-level faults that replace an
//! authenticated answer.

use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::device::{Answer, Device, SOAP12_CONTENT_TYPE};
use crate::digest::{self, AuthOutcome, DigestSettings};
use crate::fault::Fault;
use crate::hostile;
use crate::http::{self, Request};
use crate::services::eoi;
use crate::services::web;

impl Device {
    pub(crate) fn route(&self, req: &Request) -> Answer {
        let path = request_path(&req.path);
        let profile = &self.cfg.profile;
        match (req.method.as_str(), path) {
            ("GET", "/") => Answer::keep(http::see_other(self.server())),
            ("GET", web::LOGON) => Answer::keep(http::html_ok(self.server(), &web::logon_page())),
            ("GET", p) if web::protected(p).is_some() => self.authenticated(req, |dev| {
                let title = web::protected(p).unwrap_or_default();
                Answer::keep(http::html_ok(
                    dev.server(),
                    &web::page(&dev.cfg.profile, title),
                ))
            }),
            ("POST", "/wsman") if !profile.has_wsman() => {
                Answer::close(http::empty_response(profile.no_wsman_status, self.server()))
            }
            ("POST", "/wsman") => self.authenticated(req, |dev| dev.wsman(req)),
            ("POST", p) if profile.has_eoi() && eoi::service_for_path(p).is_some() => {
                self.authenticated(req, |dev| dev.eoi(req, p))
            }
            _ => Answer::close(http::empty_response(404, self.server())),
        }
    }

    /// Runs Digest, then the answer-level faults, then `handler`.
    fn authenticated(&self, req: &Request, handler: impl FnOnce(&Device) -> Answer) -> Answer {
        let now = Instant::now();
        let settings = DigestSettings {
            user: &self.cfg.user,
            password: &self.cfg.password,
            realm: &self.cfg.profile.realm,
            qop: &self.cfg.profile.digest_qop,
            nonce_lifetime: self.cfg.nonce_lifetime,
            lockout: self.cfg.lockout(),
            accept_empty_response: self.cfg.profile.accepts_empty_digest_response,
        };
        let path = req.path.as_str();
        let challenge = {
            let Ok(mut st) = self.state.lock() else {
                return Answer::close(http::empty_response(500, self.server()));
            };
            let was_locked = st.digest.is_locked(now);
            let mut outcome = st.digest.check(
                &settings,
                req.header("authorization"),
                &req.method,
                path,
                &req.body,
                now,
            );
            let faults = &self.cfg.faults;
            if faults.contains(&Fault::Locked) && req.header("authorization").is_some() {
                outcome = AuthOutcome::Locked;
            }
            if faults.contains(&Fault::DigestStaleForever) && outcome == AuthOutcome::Accepted {
                outcome = AuthOutcome::Stale;
            }
            let c = &self.counters;
            let stale = match outcome {
                AuthOutcome::Accepted => None,
                AuthOutcome::NoCredentials => Some(false),
                AuthOutcome::Stale => {
                    c.stale_nonces.fetch_add(1, Ordering::Relaxed);
                    Some(true)
                }
                AuthOutcome::Replay => {
                    c.replays.fetch_add(1, Ordering::Relaxed);
                    Some(false)
                }
                AuthOutcome::Failed => {
                    c.failed_auth.fetch_add(1, Ordering::Relaxed);
                    Some(false)
                }
                AuthOutcome::Locked => {
                    c.failed_auth.fetch_add(1, Ordering::Relaxed);
                    if !was_locked {
                        c.lockouts.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(profile = %self.cfg.profile.name, "account locked");
                    }
                    Some(false)
                }
            };
            stale.map(|stale| {
                let nonce = st.digest.new_nonce(now, self.cfg.nonce_lifetime);
                hostile::challenge(
                    &self.cfg.faults,
                    &self.cfg.profile.realm,
                    &nonce,
                    stale,
                    &self.cfg.profile.digest_qop,
                )
            })
        };
        if let Some(challenge) = challenge {
            self.counters
                .auth_challenges
                .fetch_add(1, Ordering::Relaxed);
            let page = digest::logon_failed_page(self.cfg.profile.logon_failed_page);
            return Answer::close(http::unauthorized(&challenge, self.server(), &page));
        }
        self.counters.authenticated.fetch_add(1, Ordering::Relaxed);
        for fault in &self.cfg.faults {
            match fault {
                Fault::Http500 => return Answer::close(http::empty_response(500, self.server())),
                Fault::EmptyBadRequest => {
                    return Answer::close(http::bare_bad_request(self.server()))
                }
                Fault::MalformedXml => {
                    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\"><a:Header><b:To>";
                    return Answer::keep(http::soap_response(
                        200,
                        self.server(),
                        SOAP12_CONTENT_TYPE,
                        body.as_bytes(),
                    ));
                }
                Fault::OversizedBody(n) => return Answer::Oversized(*n),
                Fault::ResetMidBody | Fault::TruncatedChunked | Fault::EndlessBody => {
                    return Answer::Hostile(fault.clone())
                }
                f => {
                    if let Some(body) = hostile::hostile_xml(f) {
                        return Answer::keep(http::soap_response(
                            200,
                            self.server(),
                            SOAP12_CONTENT_TYPE,
                            body.as_bytes(),
                        ));
                    }
                }
            }
        }
        let answer = handler(self);
        match answer {
            Answer::Bytes { bytes, keep_alive }
                if self.cfg.faults.contains(&Fault::WrongContentType) =>
            {
                Answer::Bytes {
                    bytes: hostile::wrong_content_type(&bytes),
                    keep_alive,
                }
            }
            other => other,
        }
    }
}

/// The path of a request target in origin form (`/wsman?x`) or absolute form
/// (`http://host:16992/wsman`).
fn request_path(target: &str) -> &str {
    let origin = match target.find("://") {
        Some(p) => {
            let after = target.get(p + 3..).unwrap_or("");
            after.find('/').and_then(|s| after.get(s..)).unwrap_or("/")
        }
        None => target,
    };
    origin.split('?').next().unwrap_or(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_targets_in_origin_and_absolute_form() {
        assert_eq!(request_path("/wsman?x=1"), "/wsman");
        assert_eq!(request_path("http://10.0.0.5:16992/wsman"), "/wsman");
        assert_eq!(request_path("http://host"), "/");
    }
}
