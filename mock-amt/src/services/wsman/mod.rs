//! The WS-Management service on `POST /wsman`: Identify, Get, Enumerate
//! (plain and optimized) and Pull over the classes in [`crate::classes`].

pub mod envelope;
pub mod request;

use std::time::{Duration, Instant};

use crate::classes::{self, Class, Context};
use crate::device::{Answer, Device, Enumeration, Mutable, SOAP12_CONTENT_TYPE};
use crate::fault::Fault;
use crate::http::{self, Request};
use crate::nic::Nic;
use envelope::{FaultKind, Instance};
use request::WsmanRequest;

/// Enumeration contexts expire after this long unused.
const CONTEXT_LIFETIME: Duration = Duration::from_secs(120);
/// Most open enumerations per device.
const MAX_CONTEXTS: usize = 256;

impl Device {
    fn next_ids(&self) -> (String, Option<String>) {
        let Ok(mut st) = self.state.lock() else {
            return (envelope::message_id(0), None);
        };
        st.message_counter += 1;
        (envelope::message_id(st.message_counter), None)
    }

    fn soap_ok(&self, body: String) -> Answer {
        Answer::keep(http::soap_response(
            200,
            self.server(),
            SOAP12_CONTENT_TYPE,
            body.as_bytes(),
        ))
    }

    fn soap_fault(&self, relates_to: &str, kind: FaultKind) -> Answer {
        let (msg_id, _) = self.next_ids();
        let body = envelope::fault_response(relates_to, &msg_id, kind);
        Answer::close(http::soap_response(
            400,
            self.server(),
            SOAP12_CONTENT_TYPE,
            body.as_bytes(),
        ))
    }

    fn class_missing(&self, class: &str) -> bool {
        self.cfg
            .faults
            .iter()
            .any(|f| matches!(f, Fault::MissingClass(c) if c == class))
    }

    /// What classes see: the profile and what the device runs now.
    fn context(&self) -> Context<'_> {
        Context {
            profile: &self.cfg.profile,
            tls: self.cfg.tls,
            plain: self.cfg.plain,
            nic: Nic::for_listen(self.cfg.listen.ip()),
            state: self.live_state(),
        }
    }

    /// Runs a method: the selectors must name an instance, the class must
    /// have the method, and the state it changes is changed under the lock
    /// so concurrent calls see each other's effect.
    fn invoke(
        &self,
        parsed: &WsmanRequest,
        relates_to: &str,
        class: &'static dyn Class,
        uri: &str,
        method: &str,
    ) -> Answer {
        let ctx = self.context();
        if !parsed.selectors.is_empty()
            && !class
                .instances(&ctx)
                .iter()
                .any(|inst| selectors_match(inst, &parsed.selectors))
        {
            return self.soap_fault(relates_to, FaultKind::DestinationUnreachable);
        }
        let Ok(mut st) = self.state.lock() else {
            return Answer::close(http::empty_response(500, self.server()));
        };
        let Some(output) = class.invoke(method, &parsed.input, &ctx, &mut st.live) else {
            drop(st);
            return self.soap_fault(relates_to, FaultKind::ActionNotSupported);
        };
        st.message_counter += 1;
        let msg_id = envelope::message_id(st.message_counter);
        drop(st);
        self.soap_ok(envelope::invoke_response(
            relates_to, &msg_id, uri, method, &output,
        ))
    }

    pub(crate) fn wsman(&self, req: &Request) -> Answer {
        let parsed: WsmanRequest = match request::parse_request(&req.body) {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(error = %e, "unparseable WS-Man request");
                return self.soap_fault("", FaultKind::SchemaValidationError);
            }
        };
        let relates_to = parsed.message_id.clone().unwrap_or_else(|| "0".to_owned());
        // Intel's DSP0226 compliance notes (AMT Implementation and Reference
        // Guide, "Section 6: WS-Management Control Headers", OptionSet
        // Support): AMT supports no options and answers an OptionSet sent with
        // mustUnderstand="true" with soap:MustUnderstand.
        if parsed.option_set_must_understand {
            return self.soap_fault(&relates_to, FaultKind::MustUnderstand);
        }
        if parsed.identify && parsed.action.is_none() {
            if self.cfg.profile.identify {
                return self.soap_ok(envelope::identify_response(&self.cfg.profile));
            }
            return self.soap_fault(&relates_to, FaultKind::ActionNotSupported);
        }
        let action = parsed.action.as_deref().unwrap_or("");
        let uri = parsed.resource_uri.as_deref().unwrap_or("");
        let served = classes::for_uri(uri).filter(|c| {
            !self.class_missing(c.name())
                && self.cfg.profile.has_class(c.name())
                && c.served(&self.cfg.profile)
                && (self.cfg.profile.provisioning_state() == 2 || c.before_setup())
        });
        let is_known_action = matches!(
            action,
            envelope::ACTION_GET | envelope::ACTION_ENUMERATE | envelope::ACTION_PULL
        );
        if !is_known_action {
            // A method is invoked as `<resource URI>/<method>` (DSP0226 §9).
            let method = action
                .strip_prefix(uri)
                .and_then(|rest| rest.strip_prefix('/'))
                .filter(|m| !uri.is_empty() && !m.is_empty() && !m.contains('/'));
            return match (served, method) {
                (Some(class_def), Some(method)) => {
                    self.invoke(&parsed, &relates_to, class_def, uri, method)
                }
                // A method of a class this device does not serve (now).
                (None, Some(_)) if classes::for_uri(uri).is_some() => {
                    self.soap_fault(&relates_to, FaultKind::DestinationUnreachable)
                }
                _ => self.soap_fault(&relates_to, FaultKind::ActionNotSupported),
            };
        }
        let Some(class_def) = served else {
            return self.soap_fault(&relates_to, FaultKind::DestinationUnreachable);
        };
        let item = class_def.item_class();
        let all = class_def.instances(&self.context());
        match action {
            envelope::ACTION_GET => {
                let chosen = if parsed.selectors.is_empty() {
                    all.first()
                } else {
                    all.iter()
                        .find(|inst| selectors_match(inst, &parsed.selectors))
                };
                let Some(instance) = chosen else {
                    return self.soap_fault(&relates_to, FaultKind::DestinationUnreachable);
                };
                let (msg_id, _) = self.next_ids();
                self.soap_ok(envelope::get_response(
                    &relates_to,
                    &msg_id,
                    item,
                    uri,
                    instance,
                    class_def.get_declares_common(),
                ))
            }
            envelope::ACTION_ENUMERATE => {
                let now = Instant::now();
                let Ok(mut st) = self.state.lock() else {
                    return Answer::close(http::empty_response(500, self.server()));
                };
                let ctx = st.new_context();
                st.prune_enumerations(now);
                let mut remaining = all;
                let optimize = parsed.optimize && self.cfg.profile.optimized_enumeration;
                let first: Vec<Instance> = if optimize {
                    let max = parsed
                        .optimize_max
                        .unwrap_or(1)
                        .clamp(1, envelope::MAX_ELEMENTS_CAP);
                    remaining.drain(..max.min(remaining.len())).collect()
                } else {
                    Vec::new()
                };
                let done = optimize && remaining.is_empty();
                if !done {
                    st.enumerations.insert(
                        ctx.clone(),
                        Enumeration {
                            class: class_def,
                            remaining,
                            touched: now,
                        },
                    );
                }
                st.message_counter += 1;
                let msg_id = envelope::message_id(st.message_counter);
                drop(st);
                if optimize {
                    self.soap_ok(envelope::enumerate_response_items(
                        &relates_to,
                        &msg_id,
                        item,
                        uri,
                        &ctx,
                        &first,
                        done,
                    ))
                } else {
                    self.soap_ok(envelope::enumerate_response(
                        &relates_to,
                        &msg_id,
                        uri,
                        &ctx,
                    ))
                }
            }
            _ => self.pull(&parsed, &relates_to, class_def, uri),
        }
    }

    fn pull(
        &self,
        parsed: &WsmanRequest,
        relates_to: &str,
        class: &'static dyn Class,
        uri: &str,
    ) -> Answer {
        let now = Instant::now();
        let Ok(mut st) = self.state.lock() else {
            return Answer::close(http::empty_response(500, self.server()));
        };
        let ctx = parsed.enumeration_context.as_deref().unwrap_or("");
        let fresh = st.enumerations.get(ctx).is_some_and(|e| {
            now.duration_since(e.touched) < CONTEXT_LIFETIME && e.class.name() == class.name()
        });
        let Some(mut enumeration) = st.enumerations.remove(ctx).filter(|_| fresh) else {
            drop(st);
            return self.soap_fault(relates_to, FaultKind::InvalidEnumerationContext);
        };
        let max = parsed
            .max_elements
            .unwrap_or(1)
            .clamp(1, envelope::MAX_ELEMENTS_CAP);
        let take = max.min(enumeration.remaining.len());
        let page: Vec<Instance> = enumeration.remaining.drain(..take).collect();
        let next = if enumeration.remaining.is_empty() {
            None
        } else {
            let next_ctx = st.new_context();
            enumeration.touched = now;
            st.enumerations.insert(next_ctx.clone(), enumeration);
            Some(next_ctx)
        };
        st.message_counter += 1;
        let msg_id = envelope::message_id(st.message_counter);
        drop(st);
        self.soap_ok(envelope::pull_response(
            relates_to,
            &msg_id,
            class.item_class(),
            uri,
            &page,
            next.as_deref(),
        ))
    }
}

impl Mutable {
    pub(crate) fn new_context(&mut self) -> String {
        self.context_counter = self.context_counter.wrapping_add(1);
        envelope::enumeration_context(self.context_counter)
    }

    fn prune_enumerations(&mut self, now: Instant) {
        self.enumerations
            .retain(|_, e| now.duration_since(e.touched) < CONTEXT_LIFETIME);
        while self.enumerations.len() >= MAX_CONTEXTS {
            let Some(oldest) = self
                .enumerations
                .iter()
                .min_by_key(|(_, e)| e.touched)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.enumerations.remove(&oldest);
        }
    }
}

fn selectors_match(instance: &Instance, selectors: &[(String, String)]) -> bool {
    selectors.iter().all(|(name, value)| {
        instance
            .iter()
            .any(|(n, p)| n == name && matches!(p, envelope::Prop::Text(v) if v == value))
    })
}
