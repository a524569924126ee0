//! Many devices in one process: listeners share one runtime, no thread per device.
//!
//! 900 devices keeps the test under the common default of 1024 open files;
//! the binary itself has no such limit beyond the process's.

use crate::common;

use std::net::Ipv4Addr;

use common::*;
use mock_amt::{
    fleet_addresses, round_robin, start_fleet, Profile, DEFAULT_PASSWORD, DEFAULT_USER,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nine_hundred_devices_on_one_runtime() {
    let addrs = fleet_addresses(Ipv4Addr::new(127, 99, 0, 1), 900).unwrap();
    let profiles: Vec<Profile> = Profile::builtin_names()
        .into_iter()
        .filter_map(Profile::builtin)
        .collect();
    // Raw HTTP over TCP: TLS-only profiles (16.1) are served plain here.
    let configs = round_robin(&addrs, 0, &profiles)
        .into_iter()
        .map(mock_amt::DeviceConfig::without_tls)
        .collect();
    let fleet = start_fleet(configs).await.unwrap();
    assert_eq!(fleet.devices.len(), 900);
    let uri = format!("{AMT}AMT_GeneralSettings");
    // Every 60th device: the probe, and an authenticated read where WS-Man exists.
    for d in fleet.devices.iter().step_by(60) {
        let r = exchange(d.addr(), b"GET / HTTP/1.0\r\n\r\n").await;
        assert_eq!(r.status, 303);
        if d.profile().has_wsman() {
            let mut c = DigestClient::new(DEFAULT_USER, DEFAULT_PASSWORD);
            let r = c
                .post(
                    d.addr(),
                    "/wsman",
                    "",
                    envelope(GET, &uri, "uuid:1", "").as_bytes(),
                )
                .await;
            assert_eq!(r.status, 200, "{}", d.profile().name);
            assert!(r.text().contains(&format!(
                "<g:HostName>{}</g:HostName>",
                d.profile().hostname()
            )));
        }
    }
    fleet.shutdown().await;
}
