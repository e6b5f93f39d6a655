//! BGP on the wire: framing, decoding under a per-session context, the normalized route
//! model, RFC 7606 error handling, and MRT archives.
//!
//! Decoding is done by netgauze-bgp-pkt in lenient mode; this module turns its result into
//! [`model`] values and applies RFC 7606 to whatever netgauze found malformed.

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
pub use model::{Nlri, PathAttributes, Reach, Update};
