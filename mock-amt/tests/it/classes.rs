//! The classes and methods common clients use beyond the inventory reads:
//! AMT_EthernetPortSettings, CIM_ServiceAvailableToElement,
//! IPS_KVMRedirectionSettingData, and CIM_PowerManagementService's
//! RequestPowerStateChange, whose effect later reads must show.

use crate::common;

use std::net::SocketAddr;

use common::*;
use mock_amt::{start_device, DeviceConfig, DeviceHandle, Profile, DEFAULT_PASSWORD, DEFAULT_USER};

const PMS: &str = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService";
const APMS: &str =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_AssociatedPowerManagementService";

async fn device_on(profile: &str, listen: &str) -> DeviceHandle {
    let cfg = DeviceConfig::new(
        Profile::builtin(profile).expect("profile"),
        listen.parse().unwrap(),
    )
    .without_tls();
    start_device(cfg).await.expect("start")
}

async fn device(profile: &str) -> DeviceHandle {
    device_on(profile, "127.0.0.1:0").await
}

fn client() -> DigestClient {
    DigestClient::new(DEFAULT_USER, DEFAULT_PASSWORD)
}

async fn get(addr: SocketAddr, uri: &str) -> Response {
    client()
        .post(
            addr,
            "/wsman",
            "",
            envelope(GET, uri, "uuid:g", "").as_bytes(),
        )
        .await
}

/// amtctrl's request, with its selector and the ManagedElement reference.
fn power_request(state: u8, selector: &str) -> String {
    let body = format!(
        "<n1:RequestPowerStateChange_INPUT xmlns:n1=\"{PMS}\"><n1:PowerState>{state}</n1:PowerState><n1:ManagedElement><wa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wa:Address><wa:ReferenceParameters><wm:ResourceURI>{CIM}CIM_ComputerSystem</wm:ResourceURI><wm:SelectorSet><wm:Selector Name=\"Name\">ManagedSystem</wm:Selector></wm:SelectorSet></wa:ReferenceParameters></n1:ManagedElement></n1:RequestPowerStateChange_INPUT>"
    );
    envelope(
        &format!("{PMS}/RequestPowerStateChange"),
        PMS,
        "uuid:power",
        &body,
    )
    .replace(
        "</env:Header>",
        &format!("<wm:SelectorSet><wm:Selector Name=\"Name\">{selector}</wm:Selector></wm:SelectorSet></env:Header>"),
    )
}

async fn request_power(addr: SocketAddr, state: u8) -> Response {
    client()
        .post(
            addr,
            "/wsman",
            "",
            power_request(state, "Intel(r) AMT Power Management Service").as_bytes(),
        )
        .await
}

fn return_value(r: &Response) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    element_text(&r.text(), "ReturnValue").expect("ReturnValue")
}

async fn power_state(addr: SocketAddr) -> String {
    let r = get(addr, APMS).await;
    assert_eq!(r.status, 200, "{}", r.text());
    element_text(&r.text(), "PowerState").expect("PowerState")
}

#[tokio::test]
async fn power_state_changes_what_later_reads_return() {
    let d = device("amt-15.0").await;
    assert_eq!(power_state(d.addr()).await, "2");

    let r = request_power(d.addr(), 8).await;
    let text = r.text();
    assert!(
        text.contains(&format!(
            "<b:Action a:mustUnderstand=\"true\">{PMS}/RequestPowerStateChangeResponse</b:Action>"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("xmlns:g=\"{PMS}\"")), "{text}");
    assert!(
        text.contains("<g:RequestPowerStateChange_OUTPUT><g:ReturnValue>0</g:ReturnValue></g:RequestPowerStateChange_OUTPUT>"),
        "{text}"
    );
    assert_eq!(r.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(power_state(d.addr()).await, "8");
    // The association read MeshCommander and MPS use says the same.
    let (pages, _) = enumerate_all(
        &mut client(),
        d.addr(),
        &format!("{CIM}CIM_ServiceAvailableToElement"),
        10,
    )
    .await;
    assert!(pages[0].text().contains("<h:PowerState>8</h:PowerState>"));

    // Off again, or a power cycle of a machine that is off: refused, no change.
    assert_eq!(return_value(&request_power(d.addr(), 8).await), "2");
    assert_eq!(return_value(&request_power(d.addr(), 5).await), "2");
    assert_eq!(power_state(d.addr()).await, "8");
    // On, then a reset of the running machine leaves it on.
    assert_eq!(return_value(&request_power(d.addr(), 2).await), "0");
    assert_eq!(power_state(d.addr()).await, "2");
    assert_eq!(return_value(&request_power(d.addr(), 10).await), "0");
    assert_eq!(power_state(d.addr()).await, "2");
    // A state this firmware does not offer (4, sleep).
    assert_eq!(return_value(&request_power(d.addr(), 4).await), "2");
    d.shutdown().await;
}

#[tokio::test]
async fn power_change_reaches_eoi_and_the_8x_requested_state() {
    let d = device("amt-8.1").await;
    assert_eq!(return_value(&request_power(d.addr(), 8).await), "0");
    let r = get(d.addr(), APMS).await.text();
    assert!(
        r.contains(
            "<g:PowerState>8</g:PowerState><g:RequestedPowerState>8</g:RequestedPowerState>"
        ),
        "{r}"
    );
    let ns = "http://schemas.intel.com/platform/client/RemoteControl/2004/01";
    let body = format!("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><GetSystemPowerState xmlns=\"{ns}\"/></soap:Body></soap:Envelope>");
    let r = client()
        .post(
            d.addr(),
            "/RemoteControlService",
            &format!("SOAPAction: \"{ns}#GetSystemPowerState\"\r\n"),
            body.as_bytes(),
        )
        .await;
    assert!(
        r.text()
            .contains("<b:SystemPowerState>5</b:SystemPowerState>"),
        "S5 once off: {}",
        r.text()
    );
    // Graceful off (12) is a 9.0+ state: 8.1 refuses it.
    assert_eq!(return_value(&request_power(d.addr(), 2).await), "0");
    assert_eq!(return_value(&request_power(d.addr(), 12).await), "2");
    d.shutdown().await;
}

#[tokio::test]
async fn power_requests_are_checked_like_any_method_call() {
    let d = device("amt-15.0").await;
    let r = client()
        .post(
            d.addr(),
            "/wsman",
            "",
            power_request(8, "Some Other Service").as_bytes(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("DestinationUnreachable"), "{}", r.text());
    let r = client()
        .post(
            d.addr(),
            "/wsman",
            "",
            envelope(&format!("{PMS}/RequestStateChange"), PMS, "uuid:x", "").as_bytes(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("ActionNotSupported"), "{}", r.text());
    assert_eq!(power_state(d.addr()).await, "2", "nothing changed");
    let r = get(d.addr(), PMS).await.text();
    assert!(
        r.contains("<g:Name>Intel(r) AMT Power Management Service</g:Name>"),
        "{r}"
    );
    d.shutdown().await;
}

#[tokio::test]
async fn service_available_to_element_answers_with_the_power_subclass() {
    let d = device("amt-8.1").await;
    let uri = format!("{CIM}CIM_ServiceAvailableToElement");
    let (pages, _) = enumerate_all(&mut client(), d.addr(), &uri, 10).await;
    let text = pages[0].text();
    // As in the 8.1.71 capture: the items are typed as the subclass, in its
    // namespace, under this class's ResourceURI.
    assert!(text.contains(&format!("xmlns:h=\"{APMS}\"")), "{text}");
    assert!(text.contains(&format!("<c:ResourceURI>{uri}</c:ResourceURI>")));
    assert!(text.contains("<h:CIM_AssociatedPowerManagementService><h:PowerState>2</h:PowerState><h:RequestedPowerState>2</h:RequestedPowerState><h:ServiceProvided>"), "{text}");
    d.shutdown().await;
}

#[tokio::test]
async fn ethernet_port_settings_has_a_wired_and_a_wireless_port() {
    let d = device_on("amt-11.8", "127.0.0.7:0").await;
    let uri = format!("{AMT}AMT_EthernetPortSettings");
    let (pages, _) = enumerate_all(&mut client(), d.addr(), &uri, 10).await;
    let text = pages[0].text();
    assert_eq!(
        text.matches("<h:AMT_EthernetPortSettings>").count(),
        2,
        "{text}"
    );
    for want in [
        "<h:IPAddress>127.0.0.7</h:IPAddress>",
        "<h:InstanceID>Intel(r) AMT Ethernet Port Settings 0</h:InstanceID>",
        "<h:LinkPolicy>1</h:LinkPolicy><h:LinkPolicy>14</h:LinkPolicy>",
        "<h:MACAddress>00-15-17-00-00-07</h:MACAddress>",
        "<h:SubnetMask>255.0.0.0</h:SubnetMask>",
        "<h:InstanceID>Intel(r) AMT Ethernet Port Settings 1</h:InstanceID>",
        "<h:PhysicalConnectionType>3</h:PhysicalConnectionType>",
        "<h:LinkIsUp>false</h:LinkIsUp>",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    // A Get picks a port by its InstanceID selector.
    let body = envelope(GET, &uri, "uuid:s", "").replace(
        "</env:Header>",
        "<wm:SelectorSet><wm:Selector Name=\"InstanceID\">Intel(r) AMT Ethernet Port Settings 1</wm:Selector></wm:SelectorSet></env:Header>",
    );
    let r = client().post(d.addr(), "/wsman", "", body.as_bytes()).await;
    assert!(r
        .text()
        .contains("<g:WLANLinkProtectionLevel>1</g:WLANLinkProtectionLevel>"));
    d.shutdown().await;

    // A desktop without WLAN: `[classes.AMT_EthernetPortSettings] wireless = false`.
    let text = include_str!("../../profiles/amt-11.8.toml").to_owned()
        + "\n[classes.AMT_EthernetPortSettings]\nwireless = false\n";
    let profile = Profile::from_toml_str(&text).unwrap();
    let d = start_device(DeviceConfig::new(profile, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let (pages, _) = enumerate_all(&mut client(), d.addr(), &uri, 10).await;
    assert_eq!(
        pages[0]
            .text()
            .matches("<h:AMT_EthernetPortSettings>")
            .count(),
        1
    );
    d.shutdown().await;
}

#[tokio::test]
async fn kvm_settings_exist_from_amt_6() {
    let uri = format!("{IPS}IPS_KVMRedirectionSettingData");
    let d = device("amt-7.1").await;
    let r = get(d.addr(), &uri).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(text.contains("<g:Is5900PortEnabled>false</g:Is5900PortEnabled><g:OptInPolicy>true</g:OptInPolicy><g:SessionTimeout>0</g:SessionTimeout>"), "{text}");
    assert!(
        !text.contains("RFBPassword"),
        "the VNC password is never read back"
    );
    d.shutdown().await;
    let d = device("amt-5.2.10").await;
    let r = get(d.addr(), &uri).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("DestinationUnreachable"));
    d.shutdown().await;
}

/// Before setup (ProvisioningState pre or in) the configuration classes
/// answer a remote login, and what operates the machine does not.
#[tokio::test]
async fn a_device_awaiting_setup_serves_configuration_but_not_control() {
    let d = device("amt-15.0+pre").await;
    let r = get(d.addr(), &format!("{AMT}AMT_SetupAndConfigurationService")).await;
    assert_eq!(r.status, 200);
    assert!(r
        .text()
        .contains("<g:ProvisioningState>0</g:ProvisioningState>"));
    for uri in [
        APMS.to_owned(),
        PMS.to_owned(),
        format!("{CIM}CIM_ServiceAvailableToElement"),
        format!("{IPS}IPS_KVMRedirectionSettingData"),
    ] {
        let r = get(d.addr(), &uri).await;
        assert_eq!(r.status, 400, "{uri}");
        assert!(r.text().contains("DestinationUnreachable"), "{uri}");
    }
    let r = request_power(d.addr(), 8).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("DestinationUnreachable"));
    for uri in [
        format!("{AMT}AMT_GeneralSettings"),
        format!("{AMT}AMT_EthernetPortSettings"),
        format!("{IPS}IPS_HostBasedSetupService"),
    ] {
        assert_eq!(get(d.addr(), &uri).await.status, 200, "{uri}");
    }
    d.shutdown().await;

    // EOI: remote control is "not permitted in current operating mode" (3);
    // the version and names still answer.
    let d = device("amt-5.2.10").await;
    let eoi = |service: &'static str, method: &'static str| {
        let ns = format!("http://schemas.intel.com/platform/client/{service}/2004/01");
        let body = format!("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><{method} xmlns=\"{ns}\"/></soap:Body></soap:Envelope>");
        let addr = d.addr();
        async move {
            client()
                .post(
                    addr,
                    &format!("/{service}Service"),
                    &format!("SOAPAction: \"{ns}#{method}\"\r\n"),
                    body.as_bytes(),
                )
                .await
                .text()
        }
    };
    let r = eoi("RemoteControl", "GetSystemPowerState").await;
    assert!(r.contains("<s0:GetSystemPowerStateResponse><s0:Status>3</s0:Status></s0:GetSystemPowerStateResponse>"), "{r}");
    let r = eoi("SecurityAdministration", "GetCoreVersion").await;
    assert!(
        r.contains("<s0:StatusCode>0</s0:StatusCode><s0:Version>5.2.10</s0:Version>"),
        "{r}"
    );
    d.shutdown().await;
}

/// HostOSFQDN follows HostName and DomainName: empty when they are.
#[tokio::test]
async fn host_os_fqdn_is_empty_when_hostname_and_domain_are() {
    let text = include_str!("../../profiles/amt-15.0.toml")
        .replace("hostname = \"nb-amt150\"", "hostname = \"\"")
        .replace("domain = \"corp.example.com\"", "domain = \"\"");
    let profile = Profile::from_toml_str(&text).unwrap();
    let d = start_device(DeviceConfig::new(profile, "127.0.0.1:0".parse().unwrap()).without_tls())
        .await
        .unwrap();
    let r = get(d.addr(), &format!("{AMT}AMT_GeneralSettings"))
        .await
        .text();
    assert!(r.contains("<g:HostName></g:HostName>"), "{r}");
    assert!(r.contains("<g:HostOSFQDN></g:HostOSFQDN>"), "{r}");
    d.shutdown().await;
}
