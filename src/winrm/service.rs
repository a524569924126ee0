//! Win32_Service, narrowed to RemoteAccess (Routing and Remote Access) and
//! SharedAccess (Internet Connection Sharing) by a WQL filter.

use crate::wsman::{CallLimits, Element, Error, Filter, Query, Session};

use super::{class_uri, expect_class, property_text, DIALECT_WQL};

/// Class name.
pub(crate) const CLASS: &str = "Win32_Service";

/// The two services the seed's out-of-band rule turns on ("Out of Band
/// Management": RRAS, which ICS turns on).
pub(crate) const WQL: &str =
    "SELECT * FROM Win32_Service WHERE Name = 'RemoteAccess' OR Name = 'SharedAccess'";

/// One service instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceRow {
    pub name: String,
    pub state: Option<String>,
    pub start_mode: Option<String>,
}

impl ServiceRow {
    pub fn from_element(item: &Element) -> Result<Self, Error> {
        expect_class(item, CLASS)?;
        Ok(Self {
            name: property_text(item, "Name")
                .ok_or_else(|| Error::Protocol(format!("{CLASS} instance without a Name")))?,
            state: property_text(item, "State"),
            start_mode: property_text(item, "StartMode"),
        })
    }
}

/// The filtered enumeration. WQL goes to the `*` resource of the namespace
/// (MS-WSMV §3.1.4.8: a WQL filter names its class in the query itself).
pub(crate) async fn read(session: &Session, limits: &CallLimits) -> Result<Vec<ServiceRow>, Error> {
    let query = Query {
        filter: Some(Filter {
            dialect: DIALECT_WQL.into(),
            text: WQL.into(),
        }),
        ..Query::default()
    };
    let items = session
        .enumerate_query(&class_uri("*"), &query, limits)
        .await?;
    items.iter().map(ServiceRow::from_element).collect()
}
