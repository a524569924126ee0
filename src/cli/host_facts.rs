//! `--host-facts FILE`: host facts from an inventory export, for `scan`,
//! `validate` and `report` (see [`amtready::hostfacts::Inventory`]).

use std::path::PathBuf;

use amtready::hostfacts::Inventory;

/// Arguments shared by the commands that judge hosts.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HostFactsArgs {
    /// Host OS facts from an inventory export.
    ///
    /// CSV, JSON array or JSON Lines; Configuration Manager view columns, WMI
    /// property names or ours; joined to each AMT device by IP address or AMT
    /// hostname.
    #[arg(long, value_name = "FILE", help_heading = super::heading::HOST_FACTS)]
    pub host_facts: Option<PathBuf>,
}

impl HostFactsArgs {
    /// Reads the export once; a bad row is reported at the end, not fatal.
    pub fn load(&self) -> Result<Option<Inventory>, String> {
        let Some(path) = &self.host_facts else {
            return Ok(None);
        };
        let inventory = Inventory::load(path)?;
        super::say(format_args!(
            "{}: {} computer(s) from the inventory",
            amtready::report::text::clean(&inventory.path),
            inventory.machines.len()
        ));
        Ok(Some(inventory))
    }
}

/// The end-of-run lines about the export on stderr: bad rows, rows that
/// matched no device, devices without a row.
pub fn report(inventory: &Inventory) {
    for line in inventory.report(20) {
        super::say(format_args!("{line}"));
    }
}
