//! CIM_ServiceAvailableToElement: the association MeshCommander and Open
//! AMT's MPS enumerate to read the power state. Firmware answers it with
//! instances of its subclass CIM_AssociatedPowerManagementService, written
//! in that class's namespace under this class's ResourceURI
//! (`../shared/captures/wsman/CIM_ServiceAvailableToElement-Pull-amt8.1.71-mps.xml`).

use super::associated_power_management_service::{self as apms, AssociatedPowerManagementService};
use super::Instance;
use super::{Class, Context};

/// The class name.
pub const CLASS: &str = "CIM_ServiceAvailableToElement";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ServiceAvailableToElement";

/// CIM_ServiceAvailableToElement.
pub struct ServiceAvailableToElement;

impl Class for ServiceAvailableToElement {
    class_names!();

    fn before_setup(&self) -> bool {
        false
    }

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        AssociatedPowerManagementService.instances(ctx)
    }

    fn item_class(&self) -> (&'static str, &'static str) {
        (apms::CLASS, apms::RESOURCE_URI)
    }
}
