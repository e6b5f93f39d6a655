//! IANA registries of BGP as typed values: message types, capability codes, path attribute
//! types and flags, NOTIFICATION error codes with one subcode enum per code, AFI/SAFI and
//! ORIGIN. The numbers live here and nowhere else; the rest of the codec (and the speaker)
//! names them.

use serde::Serialize;
use std::fmt;

/// Defines a registry enum over `$repr`, with `TryFrom<$repr>` (the unknown value is the
/// error) and `From<enum> for $repr`.
macro_rules! registry {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $repr:ty {
            $($(#[$vmeta:meta])* $variant:ident = $value:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr($repr)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)+
        }

        impl TryFrom<$repr> for $name {
            type Error = $repr;

            fn try_from(value: $repr) -> Result<Self, $repr> {
                match value {
                    $($value => Ok(Self::$variant),)+
                    other => Err(other),
                }
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> $repr {
                value as $repr
            }
        }
    };
}

registry! {
    /// BGP message types (RFC 4271 §4.1, RFC 2918 §3).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-parameters-1>
    pub enum MessageType: u8 {
        /// OPEN (RFC 4271 §4.2).
        Open = 1,
        /// UPDATE (RFC 4271 §4.3).
        Update = 2,
        /// NOTIFICATION (RFC 4271 §4.5).
        Notification = 3,
        /// KEEPALIVE (RFC 4271 §4.4).
        Keepalive = 4,
        /// ROUTE-REFRESH (RFC 2918 §3).
        RouteRefresh = 5,
    }
}

impl MessageType {
    /// The smallest valid length of a message of this type, header included (RFC 4271 §4).
    pub const fn min_len(self) -> usize {
        match self {
            Self::Open => 29,
            Self::Update | Self::RouteRefresh => 23,
            Self::Notification => 21,
            Self::Keepalive => 19,
        }
    }

    /// The type's name as the RFCs write it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Update => "UPDATE",
            Self::Notification => "NOTIFICATION",
            Self::Keepalive => "KEEPALIVE",
            Self::RouteRefresh => "ROUTE-REFRESH",
        }
    }
}

registry! {
    /// BGP optional parameter types of the OPEN message (RFC 5492 §4).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-parameters-11>
    pub enum OpenParameter: u8 {
        /// Capabilities (RFC 5492).
        Capabilities = 2,
    }
}

registry! {
    /// Capability codes (RFC 5492 §4).
    /// <https://www.iana.org/assignments/capability-codes/capability-codes.xhtml>
    pub enum CapabilityCode: u8 {
        /// Multiprotocol Extensions (RFC 4760 §8).
        Multiprotocol = 1,
        /// Route Refresh (RFC 2918 §2).
        RouteRefresh = 2,
        /// Extended Next Hop Encoding (RFC 8950 §3).
        ExtendedNextHop = 5,
        /// Extended Message (RFC 8654 §3).
        ExtendedMessage = 6,
        /// Graceful Restart (RFC 4724 §3).
        GracefulRestart = 64,
        /// Support for 4-octet AS number (RFC 6793 §3).
        FourOctetAs = 65,
        /// ADD-PATH (RFC 7911 §4).
        AddPath = 69,
        /// Enhanced Route Refresh (RFC 7313 §3.1).
        EnhancedRouteRefresh = 70,
        /// Long-Lived Graceful Restart (RFC 9494 §3).
        LongLivedGracefulRestart = 71,
        /// FQDN (draft-walton-bgp-hostname-capability).
        Fqdn = 73,
        /// Software Version (draft-ietf-idr-software-version).
        SoftwareVersion = 75,
    }
}

registry! {
    /// Path attribute type codes (RFC 4271 §5).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-parameters-2>
    pub enum AttributeType: u8 {
        /// ORIGIN (RFC 4271 §5.1.1).
        Origin = 1,
        /// AS_PATH (RFC 4271 §5.1.2).
        AsPath = 2,
        /// NEXT_HOP (RFC 4271 §5.1.3).
        NextHop = 3,
        /// MULTI_EXIT_DISC (RFC 4271 §5.1.4).
        MultiExitDisc = 4,
        /// LOCAL_PREF (RFC 4271 §5.1.5).
        LocalPref = 5,
        /// ATOMIC_AGGREGATE (RFC 4271 §5.1.6).
        AtomicAggregate = 6,
        /// AGGREGATOR (RFC 4271 §5.1.7).
        Aggregator = 7,
        /// COMMUNITIES (RFC 1997).
        Communities = 8,
        /// ORIGINATOR_ID (RFC 4456 §8).
        OriginatorId = 9,
        /// CLUSTER_LIST (RFC 4456 §8).
        ClusterList = 10,
        /// MP_REACH_NLRI (RFC 4760 §3).
        MpReachNlri = 14,
        /// MP_UNREACH_NLRI (RFC 4760 §4).
        MpUnreachNlri = 15,
        /// EXTENDED COMMUNITIES (RFC 4360 §2).
        ExtendedCommunities = 16,
        /// AS4_PATH (RFC 6793 §3).
        As4Path = 17,
        /// AS4_AGGREGATOR (RFC 6793 §3).
        As4Aggregator = 18,
        /// IPv6 Address Specific Extended Community (RFC 5701).
        Ipv6ExtendedCommunities = 25,
        /// AIGP (RFC 7311).
        Aigp = 26,
        /// LARGE_COMMUNITY (RFC 8092 §3).
        LargeCommunities = 32,
        /// OTC, Only to Customer (RFC 9234 §5).
        Otc = 35,
    }
}

/// Path attribute flags: the high-order bits of an attribute's first octet (RFC 4271 §4.3).
/// Not an IANA registry; the bits are fixed by the RFC.
pub struct AttributeFlags;

impl AttributeFlags {
    /// Optional (1) or well-known (0).
    pub const OPTIONAL: u8 = 0x80;
    /// Transitive (1) or non-transitive (0); always 1 for well-known attributes.
    pub const TRANSITIVE: u8 = 0x40;
    /// Partial: an optional transitive attribute some router did not recognise.
    pub const PARTIAL: u8 = 0x20;
    /// The length field is two octets (1) rather than one (0).
    pub const EXTENDED_LENGTH: u8 = 0x10;
    /// Well-known attributes: transitive, not optional.
    pub const WELL_KNOWN: u8 = Self::TRANSITIVE;
    /// Optional transitive attributes.
    pub const OPTIONAL_TRANSITIVE: u8 = Self::OPTIONAL | Self::TRANSITIVE;
}

registry! {
    /// NOTIFICATION error codes (RFC 4271 §4.5).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-parameters-3>
    pub enum ErrorCode: u8 {
        /// Message Header Error (RFC 4271 §6.1); subcodes [`MessageHeaderError`].
        MessageHeader = 1,
        /// OPEN Message Error (RFC 4271 §6.2); subcodes [`OpenMessageError`].
        OpenMessage = 2,
        /// UPDATE Message Error (RFC 4271 §6.3); subcodes [`UpdateMessageError`].
        UpdateMessage = 3,
        /// Hold Timer Expired (RFC 4271 §6.5).
        HoldTimerExpired = 4,
        /// Finite State Machine Error (RFC 4271 §6.6); subcodes [`FsmError`].
        Fsm = 5,
        /// Cease (RFC 4271 §6.7); subcodes [`CeaseSubcode`].
        Cease = 6,
        /// ROUTE-REFRESH Message Error (RFC 7313 §5); subcodes [`RouteRefreshError`].
        RouteRefreshMessage = 7,
    }
}

impl ErrorCode {
    /// The (code, subcode) pair of a NOTIFICATION with this code.
    pub fn with(self, subcode: impl Into<u8>) -> (u8, u8) {
        (self as u8, subcode.into())
    }
}

registry! {
    /// Message Header Error subcodes (RFC 4271 §6.1).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-parameters-5>
    pub enum MessageHeaderError: u8 {
        /// Connection Not Synchronized (the marker is not all ones).
        ConnectionNotSynchronized = 1,
        /// Bad Message Length.
        BadMessageLength = 2,
        /// Bad Message Type.
        BadMessageType = 3,
    }
}

registry! {
    /// OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492 §5, RFC 9234 §4.2).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-parameters-6>
    pub enum OpenMessageError: u8 {
        /// Unspecific.
        Unspecific = 0,
        /// Unsupported Version Number.
        UnsupportedVersionNumber = 1,
        /// Bad Peer AS.
        BadPeerAs = 2,
        /// Bad BGP Identifier.
        BadBgpIdentifier = 3,
        /// Unsupported Optional Parameter.
        UnsupportedOptionalParameter = 4,
        /// Unacceptable Hold Time.
        UnacceptableHoldTime = 6,
        /// Unsupported Capability (RFC 5492 §5).
        UnsupportedCapability = 7,
        /// Role Mismatch (RFC 9234 §4.2).
        RoleMismatch = 11,
    }
}

registry! {
    /// UPDATE Message Error subcodes (RFC 4271 §6.3).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-parameters-7>
    pub enum UpdateMessageError: u8 {
        /// Unspecific.
        Unspecific = 0,
        /// Malformed Attribute List.
        MalformedAttributeList = 1,
        /// Unrecognized Well-known Attribute.
        UnrecognizedWellKnownAttribute = 2,
        /// Missing Well-known Attribute.
        MissingWellKnownAttribute = 3,
        /// Attribute Flags Error.
        AttributeFlagsError = 4,
        /// Attribute Length Error.
        AttributeLengthError = 5,
        /// Invalid ORIGIN Attribute.
        InvalidOriginAttribute = 6,
        /// Invalid NEXT_HOP Attribute.
        InvalidNextHopAttribute = 8,
        /// Optional Attribute Error.
        OptionalAttributeError = 9,
        /// Invalid Network Field.
        InvalidNetworkField = 10,
        /// Malformed AS_PATH.
        MalformedAsPath = 11,
    }
}

registry! {
    /// Finite State Machine Error subcodes (RFC 6608 §4).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-finite-state-machine-error-subcodes>
    pub enum FsmError: u8 {
        /// Unspecified Error.
        Unspecified = 0,
        /// Receive Unexpected Message in OpenSent State.
        UnexpectedInOpenSent = 1,
        /// Receive Unexpected Message in OpenConfirm State.
        UnexpectedInOpenConfirm = 2,
        /// Receive Unexpected Message in Established State.
        UnexpectedInEstablished = 3,
    }
}

registry! {
    /// Cease NOTIFICATION subcodes (RFC 4486 §4, RFC 8538 §3).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#bgp-parameters-8>
    pub enum CeaseSubcode: u8 {
        /// Maximum Number of Prefixes Reached.
        MaximumPrefixesReached = 1,
        /// Administrative Shutdown.
        AdministrativeShutdown = 2,
        /// Peer De-configured.
        PeerDeconfigured = 3,
        /// Administrative Reset.
        AdministrativeReset = 4,
        /// Connection Rejected.
        ConnectionRejected = 5,
        /// Other Configuration Change.
        OtherConfigurationChange = 6,
        /// Connection Collision Resolution.
        ConnectionCollisionResolution = 7,
        /// Out of Resources.
        OutOfResources = 8,
        /// Hard Reset (RFC 8538 §3).
        HardReset = 9,
        /// BFD Down (RFC 9384).
        BfdDown = 10,
    }
}

registry! {
    /// ROUTE-REFRESH Message Error subcodes (RFC 7313 §5).
    /// <https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml#route-refresh-error-subcodes>
    pub enum RouteRefreshError: u8 {
        /// Invalid Message Length.
        InvalidMessageLength = 1,
    }
}

registry! {
    /// Address Family Numbers (RFC 4760 §3).
    /// <https://www.iana.org/assignments/address-family-numbers/address-family-numbers.xhtml>
    pub enum Afi: u16 {
        /// IP version 4.
        Ipv4 = 1,
        /// IP version 6.
        Ipv6 = 2,
        /// Layer 2 VPN (RFC 4761, RFC 7432).
        L2vpn = 25,
        /// BGP-LS (RFC 9552).
        BgpLs = 16388,
    }
}

registry! {
    /// Subsequent Address Family Identifiers (RFC 4760 §6).
    /// <https://www.iana.org/assignments/safi-namespace/safi-namespace.xhtml>
    pub enum Safi: u8 {
        /// Unicast forwarding.
        Unicast = 1,
        /// Multicast forwarding: the reverse-path table (RFC 4760 §6).
        Multicast = 2,
        /// Labeled unicast (RFC 8277).
        LabeledUnicast = 4,
        /// MCAST-VPN (RFC 6514).
        McastVpn = 5,
        /// VPLS (RFC 4761).
        Vpls = 65,
        /// EVPN (RFC 7432).
        Evpn = 70,
        /// BGP-LS (RFC 9552).
        BgpLs = 71,
        /// SR Policy (RFC 9830).
        SrPolicy = 73,
        /// BGP-MUP (draft-mpmz-bess-mup-safi).
        Mup = 85,
        /// MPLS-labeled VPN (RFC 4364).
        MplsVpn = 128,
        /// Flow Specification (RFC 8955).
        FlowSpec = 133,
        /// Flow Specification for VPNs (RFC 8955).
        FlowSpecVpn = 134,
    }
}

/// An (AFI, SAFI) pair as carried on the wire. The numbers stay raw so that families without
/// a name here can still be counted and shown; [`Afi`] and [`Safi`] name the known ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AfiSafi {
    /// Address Family Identifier (IANA): 1 IPv4, 2 IPv6, 25 L2VPN, 16388 BGP-LS.
    pub afi: u16,
    /// Subsequent Address Family Identifier (IANA): 1 unicast, 2 multicast, 128 VPN, ...
    pub safi: u8,
}

impl AfiSafi {
    /// IPv4 unicast (1/1), the family of the UPDATE body's NLRI fields.
    pub const IPV4_UNICAST: AfiSafi = AfiSafi::of(Afi::Ipv4, Safi::Unicast);
    /// IPv6 unicast (2/1).
    pub const IPV6_UNICAST: AfiSafi = AfiSafi::of(Afi::Ipv6, Safi::Unicast);
    /// IPv4 multicast (1/2): unicast prefixes for multicast RPF checks (RFC 4760 §6).
    pub const IPV4_MULTICAST: AfiSafi = AfiSafi::of(Afi::Ipv4, Safi::Multicast);
    /// IPv6 multicast (2/2).
    pub const IPV6_MULTICAST: AfiSafi = AfiSafi::of(Afi::Ipv6, Safi::Multicast);

    /// Builds a pair from its wire numbers.
    pub const fn new(afi: u16, safi: u8) -> Self {
        Self { afi, safi }
    }

    /// Builds a pair from registered values.
    pub const fn of(afi: Afi, safi: Safi) -> Self {
        Self { afi: afi as u16, safi: safi as u8 }
    }

    /// Whether the route model carries prefixes of this family (the rest is "not modelled").
    pub const fn is_modelled(self) -> bool {
        matches!((self.afi, self.safi), (1, 1) | (2, 1))
    }

    /// Whether this is a unicast family (SAFI 1), the one the RIBs of routes hold.
    pub const fn is_unicast(self) -> bool {
        self.safi == Safi::Unicast as u8
    }
}

impl fmt::Display for AfiSafi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let afi = Afi::try_from(self.afi);
        let safi = Safi::try_from(self.safi);
        let name = match (afi, safi) {
            (Ok(Afi::BgpLs), _) => "bgp-ls",
            (Ok(Afi::L2vpn), Ok(Safi::Evpn)) => "l2vpn-evpn",
            (Ok(Afi::Ipv4), Ok(s)) | (Ok(Afi::Ipv6), Ok(s)) => {
                let v = if self.afi == Afi::Ipv4 as u16 { "ipv4" } else { "ipv6" };
                let s = match s {
                    Safi::Unicast => "unicast",
                    Safi::Multicast => "multicast",
                    Safi::LabeledUnicast => "labeled-unicast",
                    Safi::MplsVpn => "vpn",
                    Safi::FlowSpec => "flowspec",
                    _ => return write!(f, "afi{}-safi{}", self.afi, self.safi),
                };
                return write!(f, "{v}-{s}");
            }
            _ => return write!(f, "afi{}-safi{}", self.afi, self.safi),
        };
        f.write_str(name)
    }
}

/// ORIGIN values (RFC 4271 §5.1.1; fixed by the RFC, no IANA registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Origin {
    /// Learned from an interior protocol (0).
    Igp = 0,
    /// Learned from EGP (1).
    Egp = 1,
    /// Learned some other way (2).
    Incomplete = 2,
}

impl TryFrom<u8> for Origin {
    type Error = u8;

    fn try_from(value: u8) -> Result<Self, u8> {
        match value {
            0 => Ok(Self::Igp),
            1 => Ok(Self::Egp),
            2 => Ok(Self::Incomplete),
            other => Err(other),
        }
    }
}

impl From<Origin> for u8 {
    fn from(value: Origin) -> u8 {
        value as u8
    }
}
