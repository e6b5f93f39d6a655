//! The simulated BGP speaker: real sessions (RFC 4271 §8 FSM over tokio, in any network
//! namespace) and an UPDATE engine that can push millions of prefixes per second.
//!
//! Data flows: a [`SessionConfig`] starts a [`Session`] (connect or listen, OPEN exchange,
//! Established). Received UPDATEs are decoded by the wire crate (`bgpstorm-wire`) into the
//! session's [`AdjRibIn`]. Programs run through an [`Injector`] on the session's [`Link`]:
//! prefix sets ([`prefixes`]) and route attributes ([`RouteSpec`]) become pre-encoded
//! [`Template`]s filled with packed NLRI, queued in large chunks to the session's writer,
//! and recorded in the [`AdjRibOut`] so a route refresh can be answered. Recorded activity is
//! replayed from MRT files ([`replay`]).

mod churn;
mod collision;
pub mod config;
mod counters;
mod fastpath;
mod fsm;
mod io;
pub mod notification;
pub mod open;
pub mod prefixes;
mod program;
pub mod rate;
pub mod replay;
pub mod rib;
pub mod ribout;
pub mod route;
mod session;
mod shared;
pub mod socket;
/// The UPDATE template encoder lives in the wire crate.
pub use bgpstorm_wire::encode::template;
mod writer;

pub use churn::{ChurnEvent, ChurnPlan};
pub use config::{AddPath, BGP_PORT, Mode, SessionConfig};
pub use counters::CounterSnapshot;
pub use notification::{Direction, NotificationRecord};
pub use open::Negotiated;
pub use program::{ChurnReport, Injector, ProgramError};
pub use rib::{AdjRibIn, PathSpread, RibCount, Route, RouteAttrs};
pub use ribout::AdjRibOut;
pub use route::RouteSpec;
pub use session::{Link, LinkDown, Session, SessionError, State, Status};
pub use template::{PackedNlri, Template};
