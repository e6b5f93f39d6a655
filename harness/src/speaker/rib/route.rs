//! What the Adj-RIB-In keeps of an announcement: the route of one prefix, and what the
//! prefixes of one UPDATE share.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use bgpstorm_wire::PathAttributes;

/// One route of the Adj-RIB-In.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// Path attributes (shared by every prefix of the UPDATE that carried them).
    pub attributes: Arc<PathAttributes>,
    /// Next hop(s) of the announcement.
    pub next_hop: Arc<[IpAddr]>,
    /// When the bytes of the UPDATE were read from the socket.
    pub received: Instant,
}

/// What the prefixes of one announcement share: one allocation for all of them.
#[derive(Debug, PartialEq)]
pub struct RouteAttrs {
    /// Path attributes.
    pub attributes: Arc<PathAttributes>,
    /// Next hop(s).
    pub next_hop: Arc<[IpAddr]>,
}
