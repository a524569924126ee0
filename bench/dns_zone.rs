//! An authoritative DNS server on loopback for `bench/dns-path.sh`: hickory-
//! server (a dev-dependency, as in the DNS tests) serving the zone files
//! given, so the benchmark's scans ask a real server without leaving the
//! private network namespace.
//!
//!     dns_zone ADDR:PORT ORIGIN=ZONEFILE...
//!
//! Prints `listening ADDR:PORT` once both sockets are bound; runs until killed.

use std::sync::Arc;
use std::time::Duration;

use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use hickory_server::Server;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let listen = args
        .next()
        .ok_or("usage: dns_zone ADDR:PORT ORIGIN=ZONEFILE...")?;
    let mut catalog = Catalog::new();
    for zone in args {
        let (origin, path) = zone
            .split_once('=')
            .ok_or_else(|| format!("`{zone}`: give ORIGIN=ZONEFILE"))?;
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let origin = Name::from_ascii(origin).map_err(|e| format!("{origin}: {e}"))?;
        let (origin, records) = Parser::new(text, None, Some(origin))
            .parse()
            .map_err(|e| format!("{path}: {e}"))?;
        let handler: InMemoryZoneHandler =
            InMemoryZoneHandler::new(origin.clone(), records, ZoneType::Primary, AxfrPolicy::Deny)?;
        let handlers: Vec<Arc<dyn ZoneHandler>> = vec![Arc::new(handler)];
        catalog.upsert(LowerName::new(&origin), handlers);
    }
    let udp = tokio::net::UdpSocket::bind(&listen)
        .await
        .map_err(|e| format!("{listen}: {e}"))?;
    let addr = udp.local_addr().map_err(|e| e.to_string())?;
    let tcp = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut server = Server::new(catalog);
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 65_535);
    println!("listening {addr}");
    server.block_until_done().await.map_err(|e| e.to_string())
}
