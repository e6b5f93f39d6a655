//! The normalized route model the rest of bgpstorm works with.
//!
//! It is deliberately smaller than the wire: unicast IPv4/IPv6 routes with the attributes that
//! route selection, policy and assertions look at. What it does not model (other families,
//! attributes without a field here) is kept as a count or as raw bytes, never dropped silently.

use ipnet::IpNet;
use serde::{Serialize, Serializer};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use super::iana::AfiSafi;
use super::rfc7606::AttributeError;

/// One prefix as carried in NLRI, with its ADD-PATH path identifier when the session uses one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Nlri {
    /// The prefix (host bits are zero: RFC 4271 §4.3 encodes only the prefix bits).
    pub prefix: IpNet,
    /// RFC 7911 path identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_id: Option<u32>,
}

impl Nlri {
    /// The family of the prefix.
    pub fn family(&self) -> AfiSafi {
        match self.prefix {
            IpNet::V4(_) => AfiSafi::IPV4_UNICAST,
            IpNet::V6(_) => AfiSafi::IPV6_UNICAST,
        }
    }
}

/// Prefixes announced together with one next hop (the legacy NLRI field, or one MP_REACH_NLRI).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reach {
    /// Family of the NLRI.
    pub family: AfiSafi,
    /// Next hop(s): the NEXT_HOP attribute for the legacy field; the MP_REACH next hop for
    /// MP-BGP (for IPv6 possibly global then link-local, RFC 2545 §3).
    pub next_hop: Vec<IpAddr>,
    /// The announced prefixes.
    pub nlri: Vec<Nlri>,
}

/// Prefixes withdrawn by one MP_UNREACH_NLRI of a family other than unicast (multicast,
/// RFC 4760 §4); unicast withdrawals are in [`Update::withdrawn`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unreach {
    /// Family of the NLRI.
    pub family: AfiSafi,
    /// The withdrawn prefixes.
    pub nlri: Vec<Nlri>,
}

pub use super::iana::Origin;

/// AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// Unordered set (type 1).
    Set,
    /// Ordered sequence (type 2).
    Sequence,
    /// Confederation sequence (type 3).
    ConfedSequence,
    /// Confederation set (type 4).
    ConfedSet,
}

impl SegmentKind {
    /// The segment type octet.
    pub const fn code(self) -> u8 {
        match self {
            Self::Set => 1,
            Self::Sequence => 2,
            Self::ConfedSequence => 3,
            Self::ConfedSet => 4,
        }
    }

    /// The kind of a segment type octet, if it is one.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Set),
            2 => Some(Self::Sequence),
            3 => Some(Self::ConfedSequence),
            4 => Some(Self::ConfedSet),
            _ => None,
        }
    }
}

/// One AS_PATH segment, always with 4-octet ASNs in the model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct AsSegment {
    /// Segment type.
    pub kind: SegmentKind,
    /// The AS numbers, in wire order.
    pub asns: Vec<u32>,
}

/// AS_PATH, after the AS4_PATH merge on 2-octet sessions (RFC 6793 §4.2.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct AsPath {
    /// Segments in wire order.
    pub segments: Vec<AsSegment>,
}

impl AsPath {
    /// A path of one AS_SEQUENCE.
    pub fn sequence(asns: impl Into<Vec<u32>>) -> Self {
        Self { segments: vec![AsSegment { kind: SegmentKind::Sequence, asns: asns.into() }] }
    }

    /// Path length for route selection: a set counts 1, confederation segments 0
    /// (RFC 4271 §9.1.2.2 a, RFC 5065 §5.3).
    pub fn route_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentKind::Sequence => s.asns.len(),
                SegmentKind::Set => 1,
                SegmentKind::ConfedSequence | SegmentKind::ConfedSet => 0,
            })
            .sum()
    }

    /// The neighbouring AS: first ASN of a leading AS_SEQUENCE.
    pub fn first_asn(&self) -> Option<u32> {
        self.segments
            .iter()
            .find(|s| !matches!(s.kind, SegmentKind::ConfedSequence | SegmentKind::ConfedSet))
            .filter(|s| s.kind == SegmentKind::Sequence)
            .and_then(|s| s.asns.first().copied())
    }

    /// The originating AS: last ASN of a trailing AS_SEQUENCE.
    pub fn origin_asn(&self) -> Option<u32> {
        self.segments
            .last()
            .filter(|s| s.kind == SegmentKind::Sequence)
            .and_then(|s| s.asns.last().copied())
    }
}

impl fmt::Display for AsPath {
    /// The usual text form: sequences space separated, sets in braces, confederation segments
    /// in parentheses / square brackets (as bgpdump and most CLIs print them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.segments {
            let (open, close, sep) = match seg.kind {
                SegmentKind::Sequence => ("", "", " "),
                SegmentKind::Set => ("{", "}", ","),
                SegmentKind::ConfedSequence => ("(", ")", " "),
                SegmentKind::ConfedSet => ("[", "]", ","),
            };
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(open)?;
            for (i, asn) in seg.asns.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{asn}")?;
            }
            f.write_str(close)?;
        }
        Ok(())
    }
}

/// A standard community (RFC 1997), printed `asn:value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Community(pub u32);

impl fmt::Display for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0 >> 16, self.0 & 0xffff)
    }
}

/// A large community (RFC 8092), printed `global:local1:local2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LargeCommunity {
    /// Global administrator (an ASN).
    pub global: u32,
    /// First local data part.
    pub local1: u32,
    /// Second local data part.
    pub local2: u32,
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.global, self.local1, self.local2)
    }
}

/// An extended community (RFC 4360) kept as its 8 wire bytes; printed as hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtendedCommunity(pub [u8; 8]);

impl fmt::Display for ExtendedCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.0;
        match (v[0] & 0x3f, v[1]) {
            // Route target / route origin, 2-octet AS specific (RFC 4360 §4).
            (0x00, 0x02 | 0x03) => {
                let kind = if v[1] == 2 { "rt" } else { "soo" };
                let asn = u16::from_be_bytes([v[2], v[3]]);
                let val = u32::from_be_bytes([v[4], v[5], v[6], v[7]]);
                write!(f, "{kind}:{asn}:{val}")
            }
            // IPv4 address specific.
            (0x01, 0x02 | 0x03) => {
                let kind = if v[1] == 2 { "rt" } else { "soo" };
                let ip = Ipv4Addr::new(v[2], v[3], v[4], v[5]);
                write!(f, "{kind}:{ip}:{}", u16::from_be_bytes([v[6], v[7]]))
            }
            // 4-octet AS specific (RFC 5668).
            (0x02, 0x02 | 0x03) => {
                let kind = if v[1] == 2 { "rt" } else { "soo" };
                let asn = u32::from_be_bytes([v[2], v[3], v[4], v[5]]);
                write!(f, "{kind}:{asn}:{}", u16::from_be_bytes([v[6], v[7]]))
            }
            _ => {
                f.write_str("0x")?;
                for b in v {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

macro_rules! serialize_as_display {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}
serialize_as_display!(Community, LargeCommunity, ExtendedCommunity);

/// AGGREGATOR (RFC 4271 §5.1.7), after the AS4_AGGREGATOR merge (RFC 6793 §4.2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Aggregator {
    /// The aggregating AS.
    pub asn: u32,
    /// The aggregating speaker's BGP identifier.
    pub address: Ipv4Addr,
}

/// A path attribute the model has no field for, kept as it was on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawAttribute {
    /// Attribute flags octet (optional, transitive, partial, extended length).
    pub flags: u8,
    /// Attribute type code.
    pub type_code: u8,
    /// Attribute value.
    pub value: Vec<u8>,
}

impl Serialize for RawAttribute {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("RawAttribute", 3)?;
        st.serialize_field("flags", &self.flags)?;
        st.serialize_field("type", &self.type_code)?;
        st.serialize_field("value", &hex(&self.value))?;
        st.end()
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// The path attributes of a route, normalized. Next hops live with the NLRI ([`Reach`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct PathAttributes {
    /// ORIGIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// AS_PATH (AS4_PATH merged in on 2-octet sessions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_path: Option<AsPath>,
    /// NEXT_HOP attribute (IPv4), also recorded in the legacy [`Reach`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop: Option<Ipv4Addr>,
    /// MULTI_EXIT_DISC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub med: Option<u32>,
    /// LOCAL_PREF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_pref: Option<u32>,
    /// ATOMIC_AGGREGATE present.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub atomic_aggregate: bool,
    /// AGGREGATOR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregator: Option<Aggregator>,
    /// COMMUNITIES in wire order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub communities: Vec<Community>,
    /// LARGE_COMMUNITY in wire order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub large_communities: Vec<LargeCommunity>,
    /// EXTENDED_COMMUNITIES in wire order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extended_communities: Vec<ExtendedCommunity>,
    /// ORIGINATOR_ID (RFC 4456).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator_id: Option<Ipv4Addr>,
    /// CLUSTER_LIST (RFC 4456).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cluster_list: Vec<Ipv4Addr>,
    /// Every other attribute, raw (IPv6 extended communities, AIGP, OTC, prefix SID, BGP-LS,
    /// unknown codes, and AS4_PATH / AS4_AGGREGATOR when they could not be merged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<RawAttribute>,
}

/// NLRI of a family the model does not carry, counted and described as far as netgauze
/// decodes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotModelled {
    /// Family of the NLRI.
    pub family: AfiSafi,
    /// Whether they were announced (MP_REACH) or withdrawn (MP_UNREACH).
    pub withdrawn: bool,
    /// Number of NLRI.
    pub count: usize,
    /// netgauze's decoded form of the attribute, for the JSON output.
    pub detail: serde_json::Value,
}

/// A decoded UPDATE in the model's terms (RFC 4271 §4.3, RFC 4760, RFC 7606 applied).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Update {
    /// Withdrawn prefixes (legacy field and MP_UNREACH_NLRI), and, after treat-as-withdraw,
    /// the prefixes the UPDATE tried to announce.
    pub withdrawn: Vec<Nlri>,
    /// Announcements grouped by next hop.
    pub reach: Vec<Reach>,
    /// Withdrawals of multicast families (SAFI 2), by family.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreach: Vec<Unreach>,
    /// Path attributes shared by all announcements of the message.
    pub attributes: PathAttributes,
    /// NLRI of families outside the model.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_modelled: Vec<NotModelled>,
    /// Attribute errors handled by RFC 7606 without a session reset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<AttributeError>,
    /// Prefixes ignored as semantically incorrect (multicast or broadcast in a unicast
    /// field, RFC 4271 §6.3), announced or withdrawn.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_nlri: Vec<IpNet>,
    /// RFC 7606 §2 treat-as-withdraw was applied: the announcements were turned into withdrawals.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub treat_as_withdraw: bool,
    /// The message is an End-of-RIB marker for this family (RFC 4724 §2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_rib: Option<AfiSafi>,
}

impl Update {
    /// Number of announced prefixes of modelled families.
    pub fn announced_count(&self) -> usize {
        self.reach.iter().map(|r| r.nlri.len()).sum()
    }

    /// Every announced prefix with its next hops.
    pub fn announced(&self) -> impl Iterator<Item = (&Nlri, &[IpAddr])> {
        self.reach.iter().flat_map(|r| r.nlri.iter().map(move |n| (n, r.next_hop.as_slice())))
    }
}
