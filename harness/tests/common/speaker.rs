//! What the loopback speaker tests share: a sender and a sink session over loopback TCP.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgpstorm_harness::speaker::{Mode, Session, SessionConfig};
use tokio::time::Instant;

pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// `secs` from now.
pub fn deadline(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

/// A passive sink on an ephemeral loopback port and an active sender towards it.
pub fn pair(a_asn: u32, b_asn: u32) -> (Session, Session) {
    let mut b = SessionConfig::new(b_asn, a_asn, Ipv4Addr::new(10, 255, 0, 2));
    b.name = "sink".into();
    b.mode = Mode::Passive;
    b.local_addr = Some(LOOPBACK);
    b.port = 0;
    let sink = Session::start(b).expect("sink starts");
    let mut a = SessionConfig::new(a_asn, b_asn, Ipv4Addr::new(10, 255, 0, 1));
    a.name = "sender".into();
    a.peer_addr = Some(LOOPBACK);
    a.port = sink.listen_addr().expect("listening").port();
    a.connect_retry = Duration::from_millis(200);
    (Session::start(a).expect("sender starts"), sink)
}
