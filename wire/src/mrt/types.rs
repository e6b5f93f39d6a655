//! MRT type and subtype numbers (IANA "Multi-Threaded Routing Toolkit (MRT)" registry) and the
//! common header.

use std::fmt;

/// MRT record types this reader knows (RFC 6396 §4, Appendix B).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MrtType {
    /// BGP (5), deprecated: the messages and state changes of IPv4 sessions with 2-octet AS
    /// numbers that MRTd wrote, as in the RIPE RIS archives of 1999–2000 (Appendix B.2.1).
    Bgp,
    /// TABLE_DUMP (12), the legacy RIB format with 2-octet AS numbers (§4.2).
    TableDump,
    /// TABLE_DUMP_V2 (13), (§4.3).
    TableDumpV2,
    /// BGP4MP (16), (§4.4).
    Bgp4mp,
    /// BGP4MP_ET (17): BGP4MP with a microsecond timestamp (§3, §4.4).
    Bgp4mpEt,
    /// Any other type (OSPF, IS-IS, the other deprecated types, ...).
    Other(u16),
}

impl MrtType {
    /// The type of a type code.
    pub const fn from_code(code: u16) -> Self {
        match code {
            5 => Self::Bgp,
            12 => Self::TableDump,
            13 => Self::TableDumpV2,
            16 => Self::Bgp4mp,
            17 => Self::Bgp4mpEt,
            c => Self::Other(c),
        }
    }

    /// The type code.
    pub const fn code(self) -> u16 {
        match self {
            Self::Bgp => 5,
            Self::TableDump => 12,
            Self::TableDumpV2 => 13,
            Self::Bgp4mp => 16,
            Self::Bgp4mpEt => 17,
            Self::Other(c) => c,
        }
    }

    /// Whether the code is in the IANA MRT type registry (RFC 6396 §4 and Appendix B: 0–13,
    /// 16, 17, 32, 33, 48, 49). A header with any other type is not MRT data.
    pub const fn registered(self) -> bool {
        matches!(self.code(), 0..=13 | 16 | 17 | 32 | 33 | 48 | 49)
    }

    /// The registry's name of the type (`"OSPFv2"`, `"RIP (deprecated)"`), or `None` for a code
    /// outside the registry.
    pub const fn registry_name(self) -> Option<&'static str> {
        Some(match self.code() {
            0 => "NULL (deprecated)",
            1 => "START (deprecated)",
            2 => "DIE (deprecated)",
            3 => "I_AM_DEAD (deprecated)",
            4 => "PEER_DOWN (deprecated)",
            5 => "BGP (deprecated)",
            6 => "RIP (deprecated)",
            7 => "IDRP (deprecated)",
            8 => "RIPNG (deprecated)",
            9 => "BGP4PLUS (deprecated)",
            10 => "BGP4PLUS_01 (deprecated)",
            11 => "OSPFv2",
            12 => "TABLE_DUMP",
            13 => "TABLE_DUMP_V2",
            16 => "BGP4MP",
            17 => "BGP4MP_ET",
            32 => "ISIS",
            33 => "ISIS_ET",
            48 => "OSPFv3",
            49 => "OSPFv3_ET",
            _ => return None,
        })
    }

    /// Whether the header carries a microsecond timestamp (the `_ET` types, RFC 6396 §3).
    pub const fn extended_timestamp(self) -> bool {
        // RFC 6396 §3: BGP4MP_ET (17), ISIS_ET (33), OSPFv3_ET (49).
        matches!(self.code(), 17 | 33 | 49)
    }
}

impl fmt::Display for MrtType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bgp => f.write_str("BGP"),
            Self::TableDump => f.write_str("TABLE_DUMP"),
            Self::TableDumpV2 => f.write_str("TABLE_DUMP_V2"),
            Self::Bgp4mp => f.write_str("BGP4MP"),
            Self::Bgp4mpEt => f.write_str("BGP4MP_ET"),
            Self::Other(c) => match self.registry_name() {
                Some(name) => write!(f, "type {c} {name}"),
                None => write!(f, "type {c}"),
            },
        }
    }
}

/// Subtypes of the deprecated BGP type (5) (RFC 6396 Appendix B.2.1; IANA "BGP Subtype Codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BgpSubtype {
    /// BGP_NULL (0): a reserved subtype, no layout defined.
    Null,
    /// BGP_UPDATE (1).
    Update,
    /// BGP_PREF_UPDATE (2): no layout defined.
    PrefUpdate,
    /// BGP_STATE_CHANGE (3).
    StateChange,
    /// BGP_SYNC (4): a view number and the name of a RIB dump file, no routes.
    Sync,
    /// BGP_OPEN (5).
    Open,
    /// BGP_NOTIFY (6).
    Notify,
    /// BGP_KEEPALIVE (7).
    Keepalive,
    /// Anything else.
    Other(u16),
}

impl BgpSubtype {
    /// The subtype of a subtype code.
    pub const fn from_code(code: u16) -> Self {
        match code {
            0 => Self::Null,
            1 => Self::Update,
            2 => Self::PrefUpdate,
            3 => Self::StateChange,
            4 => Self::Sync,
            5 => Self::Open,
            6 => Self::Notify,
            7 => Self::Keepalive,
            c => Self::Other(c),
        }
    }

    /// The BGP message type (RFC 4271 §4.1) whose contents a message subtype holds.
    pub const fn message_type(self) -> Option<u8> {
        match self {
            Self::Open => Some(1),
            Self::Update => Some(2),
            Self::Notify => Some(3),
            Self::Keepalive => Some(4),
            _ => None,
        }
    }
}

impl fmt::Display for BgpSubtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Null => "BGP_NULL",
            Self::Update => "BGP_UPDATE",
            Self::PrefUpdate => "BGP_PREF_UPDATE",
            Self::StateChange => "BGP_STATE_CHANGE",
            Self::Sync => "BGP_SYNC",
            Self::Open => "BGP_OPEN",
            Self::Notify => "BGP_NOTIFY",
            Self::Keepalive => "BGP_KEEPALIVE",
            Self::Other(c) => return write!(f, "subtype {c}"),
        })
    }
}

/// BGP4MP and BGP4MP_ET subtypes (RFC 6396 §4.4, RFC 8050 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bgp4mpSubtype {
    /// BGP4MP_STATE_CHANGE (0), 2-octet AS.
    StateChange,
    /// BGP4MP_MESSAGE (1), 2-octet AS.
    Message,
    /// BGP4MP_ENTRY (2), deprecated.
    Entry,
    /// BGP4MP_SNAPSHOT (3), deprecated.
    Snapshot,
    /// BGP4MP_MESSAGE_AS4 (4).
    MessageAs4,
    /// BGP4MP_STATE_CHANGE_AS4 (5).
    StateChangeAs4,
    /// BGP4MP_MESSAGE_LOCAL (6): a message the collector itself sent.
    MessageLocal,
    /// BGP4MP_MESSAGE_AS4_LOCAL (7).
    MessageAs4Local,
    /// BGP4MP_MESSAGE_ADDPATH (8), RFC 8050.
    MessageAddpath,
    /// BGP4MP_MESSAGE_AS4_ADDPATH (9).
    MessageAs4Addpath,
    /// BGP4MP_MESSAGE_LOCAL_ADDPATH (10).
    MessageLocalAddpath,
    /// BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH (11).
    MessageAs4LocalAddpath,
    /// Anything else.
    Other(u16),
}

impl Bgp4mpSubtype {
    /// The subtype of a subtype code.
    pub const fn from_code(code: u16) -> Self {
        match code {
            0 => Self::StateChange,
            1 => Self::Message,
            2 => Self::Entry,
            3 => Self::Snapshot,
            4 => Self::MessageAs4,
            5 => Self::StateChangeAs4,
            6 => Self::MessageLocal,
            7 => Self::MessageAs4Local,
            8 => Self::MessageAddpath,
            9 => Self::MessageAs4Addpath,
            10 => Self::MessageLocalAddpath,
            11 => Self::MessageAs4LocalAddpath,
            c => Self::Other(c),
        }
    }

    /// Whether the AS numbers of the record and of the BGP message are 4 octets.
    pub const fn asn4(self) -> bool {
        matches!(
            self,
            Self::MessageAs4
                | Self::StateChangeAs4
                | Self::MessageAs4Local
                | Self::MessageAs4Addpath
                | Self::MessageAs4LocalAddpath
        )
    }

    /// Whether the message was sent by the collector rather than received (`*_LOCAL`).
    pub const fn local(self) -> bool {
        matches!(
            self,
            Self::MessageLocal
                | Self::MessageAs4Local
                | Self::MessageLocalAddpath
                | Self::MessageAs4LocalAddpath
        )
    }

    /// Whether the NLRI of the message carry ADD-PATH path identifiers (RFC 8050 §3).
    pub const fn add_path(self) -> bool {
        matches!(
            self,
            Self::MessageAddpath
                | Self::MessageAs4Addpath
                | Self::MessageLocalAddpath
                | Self::MessageAs4LocalAddpath
        )
    }

    /// Whether the record holds a BGP message.
    pub const fn is_message(self) -> bool {
        matches!(self, Self::Message | Self::MessageAs4) || self.local() || self.add_path()
    }

    /// Whether the record holds a state change.
    pub const fn is_state_change(self) -> bool {
        matches!(self, Self::StateChange | Self::StateChangeAs4)
    }
}

/// TABLE_DUMP_V2 subtypes (RFC 6396 §4.3, RFC 8050 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableDumpV2Subtype {
    /// PEER_INDEX_TABLE (1).
    PeerIndexTable,
    /// RIB_IPV4_UNICAST (2).
    RibIpv4Unicast,
    /// RIB_IPV4_MULTICAST (3).
    RibIpv4Multicast,
    /// RIB_IPV6_UNICAST (4).
    RibIpv6Unicast,
    /// RIB_IPV6_MULTICAST (5).
    RibIpv6Multicast,
    /// RIB_GENERIC (6).
    RibGeneric,
    /// GEO_PEER_TABLE (7), RFC 6397.
    GeoPeerTable,
    /// RIB_IPV4_UNICAST_ADDPATH (8).
    RibIpv4UnicastAddpath,
    /// RIB_IPV4_MULTICAST_ADDPATH (9).
    RibIpv4MulticastAddpath,
    /// RIB_IPV6_UNICAST_ADDPATH (10).
    RibIpv6UnicastAddpath,
    /// RIB_IPV6_MULTICAST_ADDPATH (11).
    RibIpv6MulticastAddpath,
    /// RIB_GENERIC_ADDPATH (12).
    RibGenericAddpath,
    /// Anything else.
    Other(u16),
}

impl TableDumpV2Subtype {
    /// The subtype of a subtype code.
    pub const fn from_code(code: u16) -> Self {
        match code {
            1 => Self::PeerIndexTable,
            2 => Self::RibIpv4Unicast,
            3 => Self::RibIpv4Multicast,
            4 => Self::RibIpv6Unicast,
            5 => Self::RibIpv6Multicast,
            6 => Self::RibGeneric,
            7 => Self::GeoPeerTable,
            8 => Self::RibIpv4UnicastAddpath,
            9 => Self::RibIpv4MulticastAddpath,
            10 => Self::RibIpv6UnicastAddpath,
            11 => Self::RibIpv6MulticastAddpath,
            12 => Self::RibGenericAddpath,
            c => Self::Other(c),
        }
    }

    /// Whether RIB entries carry a path identifier (RFC 8050 §4).
    pub const fn add_path(self) -> bool {
        matches!(
            self,
            Self::RibIpv4UnicastAddpath
                | Self::RibIpv4MulticastAddpath
                | Self::RibIpv6UnicastAddpath
                | Self::RibIpv6MulticastAddpath
                | Self::RibGenericAddpath
        )
    }
}

/// Legacy TABLE_DUMP subtypes: the AFI of the entry (RFC 6396 §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableDumpSubtype {
    /// AFI_IPv4 (1).
    Ipv4,
    /// AFI_IPv6 (2).
    Ipv6,
    /// Anything else.
    Other(u16),
}

impl TableDumpSubtype {
    /// The subtype of a subtype code.
    pub const fn from_code(code: u16) -> Self {
        match code {
            1 => Self::Ipv4,
            2 => Self::Ipv6,
            c => Self::Other(c),
        }
    }
}

/// The common header of every record (RFC 6396 §2), with the microsecond field of the
/// extended-timestamp types (§3).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Timestamp                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |             Type              |            Subtype            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                             Length                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Microsecond Timestamp (_ET types only)   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Message... (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MrtHeader {
    /// Seconds since the Unix epoch.
    pub timestamp: u32,
    /// Microseconds, for the `_ET` types (RFC 6396 §3).
    pub microseconds: Option<u32>,
    /// Type code.
    pub mrt_type: u16,
    /// Subtype code.
    pub subtype: u16,
    /// The Length field: bytes after the 12-byte header, microsecond field included.
    pub length: u32,
}

impl MrtHeader {
    /// Length of the fixed header.
    pub const LEN: usize = 12;

    /// Reads the 12-byte fixed header (the microsecond field is filled in by the reader).
    pub fn parse(b: &[u8; 12]) -> Self {
        Self {
            timestamp: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            microseconds: None,
            mrt_type: u16::from_be_bytes([b[4], b[5]]),
            subtype: u16::from_be_bytes([b[6], b[7]]),
            length: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        }
    }

    /// The typed record type.
    pub fn kind(&self) -> MrtType {
        MrtType::from_code(self.mrt_type)
    }

    /// Bytes before the body: 12, or 16 with the microsecond field.
    pub fn header_len(&self) -> usize {
        if self.kind().extended_timestamp() { 16 } else { 12 }
    }

    /// The whole record's length, header included.
    pub fn record_len(&self) -> u64 {
        Self::LEN as u64 + u64::from(self.length)
    }

    /// A name for messages: `"BGP4MP/4"`, `"TABLE_DUMP_V2/2"`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.kind(), self.subtype)
    }
}
