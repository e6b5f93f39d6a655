//! RIB dumps: TABLE_DUMP_V2 (RFC 6396 §4.3, RFC 8050 §4) and the legacy TABLE_DUMP (§4.2).

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr};

use super::cursor::{BodyError, Cursor};
use super::rib_attributes::{RibRoute, decode_rib_attributes};
use crate::context::AfiSafi;
use crate::error::WireError;
use crate::message::MessageDecoder;

/// One peer of the PEER_INDEX_TABLE (RFC 6396 §4.3.1). The Peer Type octet says whether the
/// address is IPv6 (bit 0) and the AS 4 octets (bit 1).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Peer Type   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Peer BGP ID                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   Peer IP Address (variable)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Peer AS (variable)                     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeerEntry {
    /// Peer BGP ID.
    pub bgp_id: Ipv4Addr,
    /// Peer IP Address.
    pub ip: IpAddr,
    /// Peer AS.
    pub asn: u32,
}

/// PEER_INDEX_TABLE (RFC 6396 §4.3.1): the peers RIB entries refer to by index.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Collector BGP ID                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       View Name Length        |     View Name (variable)      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          Peer Count           |    Peer Entries (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerIndexTable {
    /// Collector BGP ID.
    pub collector_id: Ipv4Addr,
    /// View Name (UTF-8 as far as it is; lossy otherwise).
    pub view_name: String,
    /// The peers, by index.
    pub peers: Vec<PeerEntry>,
}

/// A TABLE_DUMP_V2 RIB record: one prefix and the route of every peer that has one
/// (RFC 6396 §4.3.2 for `RIB_IPV4_UNICAST`, `RIB_IPV6_UNICAST`; §4.3.3 for `RIB_GENERIC` of a
/// unicast family; RFC 8050 §4 for the `_ADDPATH` forms of the first two).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Sequence Number                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Prefix Length |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Prefix (variable)                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Entry Count           |  RIB Entries (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Rib {
    /// Sequence Number.
    pub sequence: u32,
    /// Family of the prefix.
    pub family: AfiSafi,
    /// The prefix.
    pub prefix: IpNet,
    /// Whether the entries carry path identifiers (an `_ADDPATH` subtype).
    pub add_path: bool,
    /// The routes, one per peer (or per path with ADD-PATH).
    pub entries: Vec<RibEntry>,
}

/// One RIB entry (RFC 6396 §4.3.4; RFC 8050 §4 adds the Path Identifier). AS numbers in its
/// attributes are always 4 octets.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Peer Index            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Originated Time                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Path Identifier (_ADDPATH only)               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      Attribute Length         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    BGP Attributes... (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RibEntry {
    /// Peer Index into the PEER_INDEX_TABLE.
    pub peer_index: u16,
    /// The peer it designates.
    pub peer: PeerEntry,
    /// Originated Time (seconds since the epoch).
    pub originated: u32,
    /// Path Identifier (RFC 8050).
    pub path_id: Option<u32>,
    /// The route's attributes, or why they could not be used.
    pub route: Result<RibRoute, WireError>,
}

/// A legacy TABLE_DUMP entry (RFC 6396 §4.2): one route of one peer, 2-octet AS numbers.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         View Number           |       Sequence Number         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Prefix (variable)                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Prefix Length |    Status     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Originated Time                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Peer IP Address (variable)               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           Peer AS             |       Attribute Length        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   BGP Attribute... (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TableDumpEntry {
    /// View Number.
    pub view: u16,
    /// Sequence Number.
    pub sequence: u16,
    /// The prefix (the subtype is its AFI).
    pub prefix: IpNet,
    /// Status (unused, 1).
    pub status: u8,
    /// Originated Time.
    pub originated: u32,
    /// Peer IP Address (same family as the prefix).
    pub peer_ip: IpAddr,
    /// Peer AS (2 octets).
    pub peer_asn: u32,
    /// The route's attributes, or why they could not be used.
    pub route: Result<RibRoute, WireError>,
}

/// Parses a PEER_INDEX_TABLE body.
pub(crate) fn parse_peer_index_table(rec: &[u8], body: usize) -> Result<PeerIndexTable, BodyError> {
    let mut c = Cursor::new(rec, body);
    let collector_id = c.ipv4("Collector BGP ID")?;
    let name_len = c.u16("View Name Length")?;
    let view_name = String::from_utf8_lossy(c.take(usize::from(name_len), "View Name")?).into();
    let count = c.u16("Peer Count")?;
    let mut peers = Vec::with_capacity(usize::from(count).min(c.remaining() / 7));
    for _ in 0..count {
        let peer_type = c.u8("Peer Type")?;
        let bgp_id = c.ipv4("Peer BGP ID")?;
        let afi = if peer_type & 0x01 != 0 { 2 } else { 1 };
        let ip = c.ip(afi, "Peer IP Address")?;
        let asn = c.asn(peer_type & 0x02 != 0, "Peer AS")?;
        peers.push(PeerEntry { bgp_id, ip, asn });
    }
    c.end("last")?;
    Ok(PeerIndexTable { collector_id, view_name, peers })
}

/// What a RIB record needs from the parser: the peer table and a 4-octet-AS decoder.
pub(crate) struct RibContext<'p> {
    pub peers: Option<&'p PeerIndexTable>,
    pub decoder: &'p mut MessageDecoder,
    pub scratch: &'p mut Vec<u8>,
}

/// Parses a RIB record body. `family` is the subtype's family; for `RIB_GENERIC`
/// (`generic = true`) the AFI and SAFI are read from the record and a family outside the
/// model gives `Ok(None)`.
pub(crate) fn parse_rib(
    rec: &[u8],
    body: usize,
    family: Option<AfiSafi>,
    add_path: bool,
    ctx: RibContext<'_>,
) -> Result<Option<Rib>, BodyError> {
    let mut c = Cursor::new(rec, body);
    let sequence = c.u32("Sequence Number")?;
    let family = match family {
        Some(f) => f,
        None => {
            let f = AfiSafi::new(c.u16("AFI")?, c.u8("SAFI")?);
            if !f.is_modelled() {
                return Ok(None);
            }
            f
        }
    };
    let prefix = c.prefix(family.afi, "Prefix")?;
    let count = c.u16("Entry Count")?;
    let mut entries = Vec::with_capacity(usize::from(count).min(c.remaining() / 8));
    for _ in 0..count {
        let at = c.pos();
        let peer_index = c.u16("Peer Index")?;
        let peer = lookup_peer(ctx.peers, peer_index, at)?;
        let originated = c.u32("Originated Time")?;
        let path_id = if add_path { Some(c.u32("Path Identifier")?) } else { None };
        let attr_len = c.u16("Attribute Length")?;
        let attrs = c.take(usize::from(attr_len), "BGP Attributes")?;
        let route = decode_rib_attributes(ctx.decoder, ctx.scratch, family, attrs);
        entries.push(RibEntry { peer_index, peer, originated, path_id, route });
    }
    c.end("last")?;
    Ok(Some(Rib { sequence, family, prefix, add_path, entries }))
}

fn lookup_peer(
    peers: Option<&PeerIndexTable>,
    index: u16,
    at: usize,
) -> Result<PeerEntry, BodyError> {
    let Some(table) = peers else {
        return Err(BodyError::new(at, "RIB record before any PEER_INDEX_TABLE"));
    };
    table.peers.get(usize::from(index)).copied().ok_or_else(|| {
        BodyError::new(
            at,
            format!(
                "peer index {index} is not in the PEER_INDEX_TABLE ({} peers)",
                table.peers.len()
            ),
        )
    })
}

/// Parses a legacy TABLE_DUMP body of the given AFI with a 2-octet-AS decoder.
pub(crate) fn parse_table_dump(
    rec: &[u8],
    body: usize,
    afi: u16,
    decoder: &mut MessageDecoder,
    scratch: &mut Vec<u8>,
) -> Result<TableDumpEntry, BodyError> {
    let mut c = Cursor::new(rec, body);
    let view = c.u16("View Number")?;
    let sequence = c.u16("Sequence Number")?;
    let addr = c.ip(afi, "Prefix")?;
    let at = c.pos();
    let len = c.u8("Prefix Length")?;
    let prefix = IpNet::new(addr, len)
        .map_err(|_| BodyError::new(at, format!("prefix length {len} is too long")))?;
    let status = c.u8("Status")?;
    let originated = c.u32("Originated Time")?;
    let peer_ip = c.ip(afi, "Peer IP Address")?;
    let peer_asn = u32::from(c.u16("Peer AS")?);
    let attr_len = c.u16("Attribute Length")?;
    let attrs = c.take(usize::from(attr_len), "BGP Attributes")?;
    c.end("last")?;
    let family = AfiSafi::new(afi, 1);
    let route = decode_rib_attributes(decoder, scratch, family, attrs);
    Ok(TableDumpEntry { view, sequence, prefix, status, originated, peer_ip, peer_asn, route })
}
