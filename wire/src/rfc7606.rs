//! RFC 7606 revised error handling for UPDATE messages: which malformation leads to which
//! action, reported as typed values the caller can count and show.

use serde::Serialize;
use std::fmt;

/// What RFC 7606 §2 says to do about a malformed UPDATE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Drop the attribute, keep the routes (§2, "attribute discard").
    AttributeDiscard,
    /// Handle every announced prefix of the message as withdrawn (§2, "treat-as-withdraw").
    TreatAsWithdraw,
    /// Send a NOTIFICATION and reset the session (§2, "session reset").
    SessionReset,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AttributeDiscard => "attribute-discard",
            Self::TreatAsWithdraw => "treat-as-withdraw",
            Self::SessionReset => "session-reset",
        })
    }
}

/// A malformed or unexpected path attribute and what was done about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttributeError {
    /// Attribute type code (0 when the attribute header itself could not be read).
    pub type_code: u8,
    /// Offset of the attribute's flags octet from the start of the BGP message.
    pub offset: usize,
    /// The action taken.
    pub action: Action,
    /// What was wrong, in words.
    pub reason: String,
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "attribute {} at byte {}: {} ({})",
            attribute_name(self.type_code),
            self.offset,
            self.reason,
            self.action
        )
    }
}

/// Path attribute type codes as `u8` constants for matching raw type octets; the registry
/// is [`crate::iana::AttributeType`].
pub mod code {
    use crate::iana::AttributeType;

    /// ORIGIN (RFC 4271).
    pub const ORIGIN: u8 = AttributeType::Origin as u8;
    /// AS_PATH (RFC 4271).
    pub const AS_PATH: u8 = AttributeType::AsPath as u8;
    /// NEXT_HOP (RFC 4271).
    pub const NEXT_HOP: u8 = AttributeType::NextHop as u8;
    /// MULTI_EXIT_DISC (RFC 4271).
    pub const MED: u8 = AttributeType::MultiExitDisc as u8;
    /// LOCAL_PREF (RFC 4271).
    pub const LOCAL_PREF: u8 = AttributeType::LocalPref as u8;
    /// ATOMIC_AGGREGATE (RFC 4271).
    pub const ATOMIC_AGGREGATE: u8 = AttributeType::AtomicAggregate as u8;
    /// AGGREGATOR (RFC 4271).
    pub const AGGREGATOR: u8 = AttributeType::Aggregator as u8;
    /// COMMUNITIES (RFC 1997).
    pub const COMMUNITIES: u8 = AttributeType::Communities as u8;
    /// ORIGINATOR_ID (RFC 4456).
    pub const ORIGINATOR_ID: u8 = AttributeType::OriginatorId as u8;
    /// CLUSTER_LIST (RFC 4456).
    pub const CLUSTER_LIST: u8 = AttributeType::ClusterList as u8;
    /// MP_REACH_NLRI (RFC 4760).
    pub const MP_REACH: u8 = AttributeType::MpReachNlri as u8;
    /// MP_UNREACH_NLRI (RFC 4760).
    pub const MP_UNREACH: u8 = AttributeType::MpUnreachNlri as u8;
    /// EXTENDED COMMUNITIES (RFC 4360).
    pub const EXTENDED_COMMUNITIES: u8 = AttributeType::ExtendedCommunities as u8;
    /// AS4_PATH (RFC 6793).
    pub const AS4_PATH: u8 = AttributeType::As4Path as u8;
    /// AS4_AGGREGATOR (RFC 6793).
    pub const AS4_AGGREGATOR: u8 = AttributeType::As4Aggregator as u8;
    /// IPv6 Address Specific Extended Community (RFC 5701).
    pub const IPV6_EXTENDED_COMMUNITIES: u8 = AttributeType::Ipv6ExtendedCommunities as u8;
    /// AIGP (RFC 7311).
    pub const AIGP: u8 = AttributeType::Aigp as u8;
    /// LARGE_COMMUNITY (RFC 8092).
    pub const LARGE_COMMUNITIES: u8 = AttributeType::LargeCommunities as u8;
    /// OTC, Only to Customer (RFC 9234).
    pub const OTC: u8 = AttributeType::Otc as u8;
}

/// The RFC 7606 action for a malformed attribute of the given type.
pub fn action_for(type_code: u8) -> Action {
    match type_code {
        // §7.6, §7.7; RFC 6793 §6 (as updated by RFC 7606 §7.?): AS4_* are discarded.
        code::ATOMIC_AGGREGATE | code::AGGREGATOR | code::AS4_PATH | code::AS4_AGGREGATOR => {
            Action::AttributeDiscard
        }
        // §5.3 and §7.11: the NLRI cannot be located reliably.
        code::MP_REACH | code::MP_UNREACH => Action::SessionReset,
        // §7.1–7.5, 7.8–7.10, 7.14: everything that may change route selection.
        _ => Action::TreatAsWithdraw,
    }
}

/// Human name of an attribute type code.
pub fn attribute_name(type_code: u8) -> &'static str {
    match type_code {
        0 => "header",
        code::ORIGIN => "ORIGIN",
        code::AS_PATH => "AS_PATH",
        code::NEXT_HOP => "NEXT_HOP",
        code::MED => "MULTI_EXIT_DISC",
        code::LOCAL_PREF => "LOCAL_PREF",
        code::ATOMIC_AGGREGATE => "ATOMIC_AGGREGATE",
        code::AGGREGATOR => "AGGREGATOR",
        code::COMMUNITIES => "COMMUNITIES",
        code::ORIGINATOR_ID => "ORIGINATOR_ID",
        code::CLUSTER_LIST => "CLUSTER_LIST",
        code::MP_REACH => "MP_REACH_NLRI",
        code::MP_UNREACH => "MP_UNREACH_NLRI",
        code::EXTENDED_COMMUNITIES => "EXTENDED_COMMUNITIES",
        code::AS4_PATH => "AS4_PATH",
        code::AS4_AGGREGATOR => "AS4_AGGREGATOR",
        code::IPV6_EXTENDED_COMMUNITIES => "IPV6_EXTENDED_COMMUNITIES",
        code::AIGP => "AIGP",
        code::LARGE_COMMUNITIES => "LARGE_COMMUNITY",
        code::OTC => "OTC",
        _ => "unknown",
    }
}
