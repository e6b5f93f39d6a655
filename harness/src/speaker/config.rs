//! What one simulated session is: addresses, AS numbers, timers, capabilities, socket options.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use bgpstorm_wire::AfiSafi;

/// The standard BGP port (RFC 4271 §8.2.1).
pub const BGP_PORT: u16 = 179;

/// Who opens the TCP connection (RFC 4271 §8.1.1, PassiveTcpEstablishment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Connect to the peer (start in Connect).
    Active,
    /// Wait for the peer to connect (start in Active, listening).
    Passive,
    /// Connect and listen at once; connection collisions are resolved (RFC 4271 §6.8).
    Both,
}

/// ADD-PATH wishes for one family (RFC 7911 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddPath {
    /// The family.
    pub family: AfiSafi,
    /// We will send path identifiers.
    pub send: bool,
    /// We can receive path identifiers.
    pub receive: bool,
}

/// Configuration of one session.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// A name for logs and reports.
    pub name: String,
    /// Our AS number (4 octets; AS_TRANS goes on the wire to 2-octet peers, RFC 6793 §4.2).
    pub local_asn: u32,
    /// The peer's AS number; its OPEN must match (RFC 4271 §6.2, Bad Peer AS).
    pub peer_asn: u32,
    /// Our BGP identifier.
    pub router_id: Ipv4Addr,
    /// Address to bind (and, in passive mode, to listen on); any address when `None`.
    pub local_addr: Option<IpAddr>,
    /// The peer's address. In passive mode connections from other addresses are refused;
    /// `None` accepts any peer.
    pub peer_addr: Option<IpAddr>,
    /// TCP port to connect to, or to listen on in passive mode.
    pub port: u16,
    /// Active or passive TCP establishment.
    pub mode: Mode,
    /// Hold time we offer, seconds: 0 or at least 3 (RFC 4271 §4.2).
    pub hold_time: u16,
    /// ConnectRetryTimer (RFC 4271 §8.2.2; 120 s suggested, shorter for tests).
    pub connect_retry: Duration,
    /// How long to wait for the peer's OPEN after ours (the "large" hold timer of §8.2.2).
    pub open_timeout: Duration,
    /// Families we offer with the multiprotocol capability (RFC 4760 §8).
    pub families: Vec<AfiSafi>,
    /// Offer the 4-octet AS capability (RFC 6793). Off makes us a 2-octet speaker.
    pub four_octet_as: bool,
    /// Offer route refresh (RFC 2918).
    pub route_refresh: bool,
    /// Offer extended messages (RFC 8654).
    pub extended_messages: bool,
    /// ADD-PATH per family (RFC 7911).
    pub add_path: Vec<AddPath>,
    /// Offer graceful restart with this restart time in seconds (RFC 4724 §3).
    pub graceful_restart: Option<u16>,
    /// List our families in the graceful restart capability, so that the peer keeps our
    /// routes as stale when the connection drops without a NOTIFICATION (RFC 4724 §4.2).
    /// Off: the capability only asks for End-of-RIB markers.
    pub graceful_restart_families: bool,
    /// TCP MD5 signature key (RFC 2385); needs `peer_addr`.
    pub md5_key: Option<String>,
    /// GTSM (RFC 5082): send with TTL 255 and accept only TTL ≥ 254.
    pub ttl_security: bool,
    /// Network namespace (a path such as /run/netns/NAME) to create the sockets in.
    pub netns: Option<PathBuf>,
    /// Start again (through Idle) after a session ends, instead of stopping.
    pub restart: bool,
    /// IPv4 prefixes to make room for in the Adj-RIB-In before the session starts (a sink
    /// that knows how many it expects; 0: grow as needed).
    pub rib_in_capacity: usize,
}

impl SessionConfig {
    /// A session with the usual defaults: active, IPv4 and IPv6 unicast, 4-octet AS, route
    /// refresh, hold time 90 s, graceful restart advertised (for End-of-RIB, RFC 4724 §2).
    pub fn new(local_asn: u32, peer_asn: u32, router_id: Ipv4Addr) -> Self {
        Self {
            name: format!("AS{local_asn}"),
            local_asn,
            peer_asn,
            router_id,
            local_addr: None,
            peer_addr: None,
            port: BGP_PORT,
            mode: Mode::Active,
            hold_time: 90,
            connect_retry: Duration::from_secs(5),
            open_timeout: Duration::from_secs(240),
            families: vec![AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST],
            four_octet_as: true,
            route_refresh: true,
            extended_messages: false,
            add_path: Vec::new(),
            graceful_restart: Some(120),
            graceful_restart_families: false,
            md5_key: None,
            ttl_security: false,
            netns: None,
            restart: false,
            rib_in_capacity: 0,
        }
    }

    /// Whether the session is internal (same AS on both ends, RFC 4271 §5.1.5).
    pub fn is_ibgp(&self) -> bool {
        self.local_asn == self.peer_asn
    }

    /// The address to connect to (active mode).
    pub fn peer_socket(&self) -> Option<SocketAddr> {
        self.peer_addr.map(|ip| SocketAddr::new(ip, self.port))
    }

    /// Checks what can be checked before any socket exists.
    pub fn validate(&self) -> Result<(), String> {
        if matches!(self.hold_time, 1 | 2) {
            return Err(format!(
                "hold time {} is not 0 or at least 3 (RFC 4271 §4.2)",
                self.hold_time
            ));
        }
        if self.mode != Mode::Passive && self.peer_addr.is_none() {
            return Err("an active session needs the peer's address".into());
        }
        if self.md5_key.is_some() && self.peer_addr.is_none() {
            return Err("TCP MD5 needs the peer's address (the key is per peer, RFC 2385)".into());
        }
        if self.md5_key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 80) {
            return Err("the TCP MD5 key must be 1 to 80 bytes".into());
        }
        if self.families.is_empty() {
            return Err("a session needs at least one address family".into());
        }
        if self.router_id.is_unspecified() {
            return Err("the BGP identifier must not be 0.0.0.0 (RFC 6286 §2.1)".into());
        }
        Ok(())
    }
}
