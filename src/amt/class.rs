//! The one shape of every AMT read: a [`Class`] names itself, says how it is
//! fetched and which firmware has it, parses what the device answered and
//! writes its facts. The inventory (`inventory.rs`) runs the classes of
//! `SEQUENCE` (`mod.rs`) in order through [`Step`], which holds what they
//! share: the firmware gates, the sorting of faults into "not on this
//! firmware" and "the host failed", and the facts' sources.

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use crate::facts::{AmtFacts, FactSource, HostStatus};
use crate::version::ReportedVersion;
use crate::wsman::{CallLimits, Element, Error, Selector, Session};

use super::firmware::{self, Generation};
use super::status::host_status;

/// How a class is fetched.
#[derive(Debug, Clone, Copy)]
pub enum Fetch {
    /// WS-Man Get of the singleton: [`Class::parse`] gets one element.
    Get,
    /// WS-Man Enumerate and Pull: [`Class::parse`] gets every item, in the
    /// device's order.
    Enumerate,
    /// A WS-Man method call that only reads (`GetLowAccuracyTimeSynch`):
    /// [`Class::parse`] gets the `<method>_OUTPUT` element.
    Invoke {
        /// The method's name.
        method: &'static str,
    },
    /// An EOI SOAP 1.1 call: [`Class::parse`] gets the SOAP Body. The
    /// wire details are `eoi.rs`'s, given here whole so this module needs
    /// nothing of it.
    Eoi {
        /// `/SecurityAdministrationService`.
        path: &'static str,
        /// The SOAPAction: the service's namespace, `#`, the method.
        action: &'static str,
        /// The request envelope.
        request: fn() -> String,
    },
}

/// One AMT class (or EOI call) the inventory reads.
pub trait Class: Sync {
    /// What one read gives.
    type Value: Send;

    /// The name recorded in `AmtFacts.unavailable` when the device does not
    /// answer it (`AMT_GeneralSettings`, `EOI GetHostName`).
    const NAME: &'static str;

    /// The resource URI (for EOI, the service's namespace).
    const RESOURCE_URI: &'static str;

    /// How it is fetched.
    const FETCH: Fetch;

    /// Which firmware has it: [`firmware::WSMAN`] for a class every WS-Man
    /// firmware has, a narrower entry of the table otherwise.
    const FIRMWARE: &'static Generation;

    /// Reads the device's answer.
    fn parse(&self, answer: &[Element]) -> Result<Self::Value, Error>;

    /// Writes the facts read.
    fn apply(&self, value: Self::Value, facts: &mut Apply<'_>);

    /// The instance a Get asks for, when the classes before it named it
    /// (the active power package): none asks for the class's singleton.
    fn selectors(&self, _seen: &Seen<'_>) -> Vec<Selector> {
        Vec::new()
    }

    /// Notes when the request went out and when its answer came back, for
    /// a value that is a reading of the device's clock: the round trip
    /// bounds how far the scanner's clock and the device's can be compared.
    fn stamp(&self, _value: &mut Self::Value, _sent: SystemTime, _answered: SystemTime) {}

    /// Whether the read is wanted given what is known so far. Fallbacks
    /// (EOI) are asked only for what the classes before them did not give.
    fn wanted(&self, _seen: &Seen<'_>) -> bool {
        true
    }

    /// A value the scan knows without asking, and where it knows it from:
    /// the request is then saved.
    fn known_without_asking(&self, _seen: &Seen<'_>) -> Option<(Self::Value, FactSource)> {
        None
    }
}

/// Fetches and parses one class.
pub(crate) async fn read<C: Class>(
    class: &C,
    session: &Session,
    limits: &CallLimits,
) -> Result<C::Value, Error> {
    read_selected(class, session, limits, &[]).await
}

/// [`read`], a Get picking its instance by `selectors`.
async fn read_selected<C: Class>(
    class: &C,
    session: &Session,
    limits: &CallLimits,
    selectors: &[Selector],
) -> Result<C::Value, Error> {
    let sent = SystemTime::now();
    let mut value = match C::FETCH {
        Fetch::Get => {
            let item = session.get(C::RESOURCE_URI, selectors, limits).await?;
            class.parse(std::slice::from_ref(&item))
        }
        Fetch::Enumerate => {
            let items = session.enumerate(C::RESOURCE_URI, limits).await?;
            class.parse(&items)
        }
        Fetch::Eoi {
            path,
            action,
            request,
        } => {
            let body = session.soap11(path, action, &request(), limits).await?;
            class.parse(std::slice::from_ref(&body))
        }
        Fetch::Invoke { method } => {
            let output = session
                .invoke_read(C::RESOURCE_URI, method, &[], limits)
                .await?;
            class.parse(std::slice::from_ref(&output))
        }
    }?;
    class.stamp(&mut value, sent, SystemTime::now());
    Ok(value)
}

/// The one element of a Get's answer.
pub(crate) fn single<'a>(answer: &'a [Element], class: &str) -> Result<&'a Element, Error> {
    match answer {
        [item] => Ok(item),
        _ => Err(Error::Protocol(format!(
            "expected one {class} instance, got {}",
            answer.len()
        ))),
    }
}

/// What the inventory knows when a class is about to be read.
pub struct Seen<'a> {
    facts: &'a AmtFacts,
    answered: &'a [&'static str],
    tls_off: bool,
}

impl Seen<'_> {
    /// The facts read so far.
    pub fn facts(&self) -> &AmtFacts {
        self.facts
    }

    /// Whether the class of this [`Class::NAME`] was read.
    pub fn answered(&self, name: &str) -> bool {
        self.answered.contains(&name)
    }

    /// Whether the sweep saw the device refuse 16993 and it is read over
    /// plain HTTP: TLS is off on its network interface.
    pub fn tls_off(&self) -> bool {
        self.tls_off
    }
}

/// Where a class writes its facts: each fact set is recorded with the
/// source of the read in `sources`, under the field's name.
pub struct Apply<'a> {
    facts: &'a mut AmtFacts,
    source: FactSource,
    banner: Option<&'a ReportedVersion>,
}

impl Apply<'_> {
    /// Sets one fact; `None` leaves it as it was (unknown, or what an
    /// earlier read gave). Use `set_facts!`, which names the field once.
    pub fn set<T>(
        &mut self,
        field: &'static str,
        slot: fn(&mut AmtFacts) -> &mut Option<T>,
        value: Option<T>,
    ) {
        if let Some(value) = value {
            *slot(self.facts) = Some(value);
            self.facts.sources.insert(field.to_owned(), self.source);
        }
    }

    /// The facts read so far (a class that refines an earlier one's).
    pub fn facts(&self) -> &AmtFacts {
        self.facts
    }

    /// The firmware version known so far: the one read, else the banner's.
    /// Some values mean different things by generation.
    pub fn firmware_version(&self) -> Option<&ReportedVersion> {
        self.facts.version.as_ref().or(self.banner)
    }
}

/// Sets facts through an [`Apply`]: `set_facts!(out, hostname = h, domain =
/// d)`, so a fact and its entry in `sources` can never be named apart.
macro_rules! set_facts {
    ($out:expr, $($field:ident = $value:expr),+ $(,)?) => {
        $( $out.set(stringify!($field), |f| &mut f.$field, $value); )+
    };
}
pub(crate) use set_facts;

/// Whether WS-Man answered on this device. The first WS-Man read decides:
/// firmware before 3.0 has no `/wsman` and answers it with 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wsman {
    Untried,
    Present,
    Missing,
}

/// The state of one host's inventory, shared by its steps.
pub struct Run<'a> {
    session: &'a Session,
    limits: &'a CallLimits,
    facts: &'a mut AmtFacts,
    banner: Option<ReportedVersion>,
    tls_off: bool,
    /// The first read that failed for a reason other than the device
    /// refusing it, as one line.
    problem: Option<String>,
    answered: Vec<&'static str>,
    wsman: Wsman,
}

impl<'a> Run<'a> {
    pub(crate) fn new(
        session: &'a Session,
        limits: &'a CallLimits,
        facts: &'a mut AmtFacts,
        banner: Option<ReportedVersion>,
        tls_off: bool,
    ) -> Self {
        Run {
            session,
            limits,
            facts,
            banner,
            tls_off,
            problem: None,
            answered: Vec::new(),
            wsman: Wsman::Untried,
        }
    }

    /// What the run leaves for the inventory to finish with: the first
    /// problem, and the banner's version.
    pub(crate) fn finish(self) -> (Option<String>, Option<ReportedVersion>) {
        (self.problem, self.banner)
    }

    /// The best version known: the one read, else the banner's.
    fn version(&self) -> Option<&ReportedVersion> {
        self.facts.version.as_ref().or(self.banner.as_ref())
    }

    fn unavailable(&mut self, name: &str) {
        self.facts.unavailable.push(name.to_owned());
    }

    fn write<C: Class>(&mut self, class: &C, value: C::Value, source: FactSource) {
        let mut apply = Apply {
            facts: self.facts,
            source,
            banner: self.banner.as_ref(),
        };
        class.apply(value, &mut apply);
    }
}

/// A future a step returns; boxed so the inventory's own future holds only
/// the step it is in (docs/performance.md: memory per device in flight).
pub(crate) type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

/// A class as the inventory runs it. Every [`Class`] is one.
pub trait Step: Sync {
    /// [`Class::NAME`].
    fn name(&self) -> &'static str;

    /// Reads the class into the run's facts. `Err` means the host itself
    /// failed (authentication, or it stopped answering) and the sequence
    /// stops; anything else the class could not give is recorded.
    fn run<'a>(&'a self, run: &'a mut Run<'_>) -> StepFuture<'a>;
}

impl<C: Class> Step for C {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn run<'a>(&'a self, run: &'a mut Run<'_>) -> StepFuture<'a> {
        Box::pin(async move {
            let eoi = matches!(C::FETCH, Fetch::Eoi { .. });
            if !eoi && run.wsman == Wsman::Missing {
                run.unavailable(C::NAME);
                return Ok(());
            }
            // WS-Man as a whole is judged by the device's answer, not by
            // the version (see firmware::WSMAN); a narrower span by it.
            if *C::FIRMWARE != firmware::WSMAN && !C::FIRMWARE.span.may_have(run.version()) {
                // A fallback the firmware cannot have leaves no trace: what
                // it stands in for is recorded unavailable already.
                if !eoi {
                    run.unavailable(C::NAME);
                }
                return Ok(());
            }
            let seen = Seen {
                facts: run.facts,
                answered: &run.answered,
                tls_off: run.tls_off,
            };
            if !self.wanted(&seen) {
                return Ok(());
            }
            if let Some((value, source)) = self.known_without_asking(&seen) {
                run.write(self, value, source);
                return Ok(());
            }
            let selectors = self.selectors(&seen);
            let result = read_selected(self, run.session, run.limits, &selectors).await;
            if !eoi && run.wsman == Wsman::Untried {
                run.wsman = match result {
                    Err(Error::HttpStatus(404)) => Wsman::Missing,
                    _ => Wsman::Present,
                };
            }
            match result {
                Ok(value) => {
                    run.answered.push(C::NAME);
                    let source = if eoi {
                        FactSource::Eoi
                    } else {
                        FactSource::Wsman
                    };
                    run.write(self, value, source);
                    Ok(())
                }
                Err(e)
                    if matches!(
                        host_status(&e),
                        HostStatus::AuthFailed | HostStatus::Unreachable
                    ) =>
                {
                    Err(e)
                }
                Err(e) => {
                    run.unavailable(C::NAME);
                    if !e.is_refusal() && run.problem.is_none() {
                        run.problem = Some(format!("{}: {e}", C::NAME));
                    }
                    Ok(())
                }
            }
        })
    }
}

/// Declares the class modules of `amt/` and `SEQUENCE`,
/// the order the inventory reads them in. `mod file::Class` declares the
/// module too; `file::Class` names a class of a module declared already (a
/// file with more than one read, such as EOI's).
macro_rules! sequence {
    (@munch [$($done:tt)*] mod $module:ident :: $class:ident, $($rest:tt)*) => {
        pub mod $module;
        $crate::amt::class::sequence!(@munch [$($done)* $module::$class,] $($rest)*);
    };
    (@munch [$($done:tt)*] $module:ident :: $class:ident, $($rest:tt)*) => {
        $crate::amt::class::sequence!(@munch [$($done)* $module::$class,] $($rest)*);
    };
    (@munch [$($module:ident :: $class:ident,)*]) => {
        /// Every class the inventory reads, in order.
        pub const SEQUENCE: &[&dyn $crate::amt::class::Step] = &[$(&$module::$class),*];
    };
    ($($entry:tt)*) => {
        $crate::amt::class::sequence!(@munch [] $($entry)*);
    };
}
pub(crate) use sequence;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_read_first_and_each_fallback_after_what_it_replaces() {
        let names: Vec<&str> = crate::amt::SEQUENCE.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "CIM_SoftwareIdentity",
                "EOI GetCoreVersion",
                "AMT_SetupAndConfigurationService",
                "IPS_HostBasedSetupService",
                "AMT_GeneralSettings",
                "AMT_ProvisioningCertificateHash",
                "AMT_TLSSettingData",
                "AMT_EthernetPortSettings (wired instance)",
                "AMT_EthernetPortSettings",
                "AMT_8021XProfile",
                "CIM_ElementSettingData",
                "AMT_SystemPowerScheme",
                "AMT_TimeSynchronizationService",
                "EOI GetHostName",
                "EOI GetDomainName",
                "EOI GetInterfaceSettings",
            ]
        );
    }

    #[test]
    fn a_get_answer_must_be_one_instance() {
        let item = crate::wsman::xml::parse(br#"<c:X xmlns:c="urn:c"/>"#).unwrap();
        assert!(single(std::slice::from_ref(&item), "X").is_ok());
        assert!(matches!(single(&[], "X"), Err(Error::Protocol(_))));
    }
}
