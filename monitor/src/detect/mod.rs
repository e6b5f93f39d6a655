//! Detectors over route changes and session events, each producing typed alerts:
//! [`flap`] (N changes within W), [`damping`] (RFC 2439 penalties), [`community`] (allow/deny
//! rules per session and direction) and [`session`] (state, resets, NOTIFICATIONs). Hidden
//! routes are a query on the RIB ([`crate::rib::Rib::hidden`]).

pub mod community;
pub mod damping;
pub mod flap;
pub mod session;

#[cfg(test)]
mod tests;
