//! bgpstorm-wire: the BGP codec of bgpstorm, shared by the monitor, the simulated speaker,
//! the `decode` command, the fuzz targets and the tests. It knows bytes and values only: no
//! sockets, no runtime, no capture (its dependency tree holds no tokio, axum, aya or
//! prometheus-client).
//!
//! Data flows in two directions. Decoding: a byte stream is cut into messages by
//! [`framing`], and [`MessageDecoder`] reads each one under the [`SessionContext`] its
//! session negotiated (4-octet AS, ADD-PATH, extended messages) into a [`Message`]: UPDATEs
//! become the route [`model`] ([`Update`], [`Reach`], [`PathAttributes`]), with malformed
//! attributes handled as RFC 7606 says ([`rfc7606`]) and fatal errors typed with their byte
//! offset and NOTIFICATION ([`WireError`]). netgauze-bgp-pkt parses in lenient mode;
//! [`attributes`] converts its result, and [`multicast`] and the foreign-family paths read
//! what netgauze rejects. [`mrt`] reads MRT archives (RFC 6396) into the same values.
//! Encoding: [`encode`] turns values back into bytes, mirroring the model: the reference
//! UPDATE encoder, the pre-encoded UPDATE templates of the inject hot path, the OPEN of
//! [`open`] with its capabilities, KEEPALIVE, NOTIFICATION and ROUTE-REFRESH.
//!
//! Every protocol number is named once, in [`iana`]. Modules depend downwards only:
//! [`iana`] → [`model`] → [`nlri`] / [`context`] → [`attributes`] / [`multicast`] →
//! [`message`] → [`mrt`], with [`encode`] beside the decoder.

pub mod attributes;
pub mod context;
pub mod encode;
pub mod error;
pub mod framing;
pub mod iana;
pub mod message;
pub mod model;
pub mod mrt;
pub mod multicast;
pub mod nlri;
pub mod open;
pub mod rfc7606;

pub use context::{AfiSafi, SessionContext};
pub use error::WireError;
pub use message::{Message, MessageDecoder, Notification, Open, RouteRefresh};
pub use model::{Nlri, PathAttributes, Reach, Unreach, Update};
