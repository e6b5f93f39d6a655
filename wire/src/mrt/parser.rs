//! Turning one raw record into an [`MrtBody`]: dispatch on type and subtype, the state that
//! spans records (the peer index table), and one message decoder per parsing context.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::bgp;
use super::bgp4mp::{Bgp4mpMessage, parse_message, parse_state_change};
use super::cursor::BodyError;
use super::table_dump::{
    PeerIndexTable, RibContext, parse_peer_index_table, parse_rib, parse_table_dump,
};
use super::types::{
    Bgp4mpSubtype, BgpSubtype, MrtHeader, MrtType, TableDumpSubtype, TableDumpV2Subtype,
};
use super::{MrtBody, MrtError, NotModelled, NotModelledScope};
use crate::context::{AfiSafi, SessionContext};
use crate::framing::kind;
use crate::iana::{Afi, Safi};
use crate::message::{Message, MessageDecoder};

/// Families that get path identifiers in the `_ADDPATH` subtypes. RFC 8050 §3 applies
/// ADD-PATH to the whole message; a family absent from the message costs nothing.
const ADD_PATH_FAMILIES: [AfiSafi; 9] = [
    AfiSafi::of(Afi::Ipv4, Safi::Unicast),
    AfiSafi::of(Afi::Ipv4, Safi::Multicast),
    AfiSafi::of(Afi::Ipv4, Safi::LabeledUnicast),
    AfiSafi::of(Afi::Ipv4, Safi::MplsVpn),
    AfiSafi::of(Afi::Ipv6, Safi::Unicast),
    AfiSafi::of(Afi::Ipv6, Safi::Multicast),
    AfiSafi::of(Afi::Ipv6, Safi::LabeledUnicast),
    AfiSafi::of(Afi::Ipv6, Safi::MplsVpn),
    AfiSafi::new(25, 70),
];

/// Parses record bodies. Keeps the last PEER_INDEX_TABLE for the RIB records after it, and
/// one [`MessageDecoder`] per context so that each record costs no decoder setup.
pub struct MrtParser {
    peers: Option<Arc<PeerIndexTable>>,
    /// Families each peer's last OPEN offered to send with ADD-PATH, by (peer IP, local IP).
    offered_add_path: HashMap<(IpAddr, IpAddr), Vec<AfiSafi>>,
    /// Indexed by `asn4 as usize * 2 + add_path as usize`.
    decoders: [Option<MessageDecoder>; 4],
    scratch: Vec<u8>,
}

impl Default for MrtParser {
    fn default() -> Self {
        Self::new()
    }
}

impl MrtParser {
    /// A parser that has seen no record yet.
    pub fn new() -> Self {
        Self {
            peers: None,
            offered_add_path: HashMap::new(),
            decoders: [None, None, None, None],
            scratch: Vec::with_capacity(4096),
        }
    }

    /// The PEER_INDEX_TABLE in force, if one was read.
    pub fn peer_index_table(&self) -> Option<&Arc<PeerIndexTable>> {
        self.peers.as_ref()
    }

    /// Parses the body of the record `raw` (header included) found at stream `offset`.
    pub fn parse(
        &mut self,
        header: &MrtHeader,
        raw: &[u8],
        offset: u64,
    ) -> Result<MrtBody, MrtError> {
        let malformed = |e: BodyError| MrtError::Malformed {
            offset,
            at: offset + e.at as u64,
            kind: header.name(),
            reason: e.reason,
        };
        let body = header.header_len();
        if raw.len() < body {
            return Err(malformed(BodyError::new(
                MrtHeader::LEN,
                format!("record of {} bytes is shorter than its {body}-byte header", raw.len()),
            )));
        }
        match header.kind() {
            MrtType::Bgp4mp | MrtType::Bgp4mpEt => self.bgp4mp(header, raw, body),
            MrtType::TableDumpV2 => self.table_dump_v2(header, raw, body),
            MrtType::TableDump => self.table_dump(header, raw, body),
            MrtType::Bgp => self.bgp(header, raw, body),
            MrtType::Other(_) => Ok(not_modelled(header.kind().to_string())),
        }
        .map_err(malformed)
    }

    /// The deprecated BGP type (RFC 6396 Appendix B.2.1): IPv4 sessions, 2-octet AS numbers.
    fn bgp(&mut self, header: &MrtHeader, raw: &[u8], body: usize) -> Result<MrtBody, BodyError> {
        let sub = BgpSubtype::from_code(header.subtype);
        if let Some(message_type) = sub.message_type() {
            let decoder = decoder(&mut self.decoders, false, false);
            let m = bgp::parse_message(raw, body, message_type, decoder, &mut self.scratch)?;
            return Ok(MrtBody::Message(m));
        }
        match sub {
            BgpSubtype::StateChange => bgp::parse_state_change(raw, body).map(MrtBody::StateChange),
            BgpSubtype::Sync => bgp::describe_sync(raw, body).map(not_modelled),
            _ => Ok(not_modelled(format!("BGP {sub}"))),
        }
    }

    fn bgp4mp(
        &mut self,
        header: &MrtHeader,
        raw: &[u8],
        body: usize,
    ) -> Result<MrtBody, BodyError> {
        let sub = Bgp4mpSubtype::from_code(header.subtype);
        if sub.is_state_change() {
            return parse_state_change(raw, body, sub.asn4()).map(MrtBody::StateChange);
        }
        if !sub.is_message() {
            return Ok(not_modelled(format!("{} subtype {}", header.kind(), header.subtype)));
        }
        let decoder = decoder(&mut self.decoders, sub.asn4(), sub.add_path());
        let mut m = parse_message(raw, body, sub, decoder)?;
        self.learn_add_path(&mut m, raw);
        Ok(MrtBody::Message(m))
    }

    /// Remembers what a received OPEN offered, and retries an UPDATE that does not decode
    /// under a subtype without ADD-PATH with the families its sender's OPEN offered to send
    /// with path identifiers. RFC 8050 requires the `_ADDPATH` subtypes for such sessions,
    /// but BIRD 1.6 writes `MESSAGE_AS4`; a message that decodes without path identifiers is
    /// never re-read, so compliant files are unaffected.
    fn learn_add_path(&mut self, m: &mut Bgp4mpMessage, raw: &[u8]) {
        let key = (m.peer_ip, m.local_ip);
        match &m.message {
            Ok(Message::Open(open)) if !m.is_local() => {
                let families: Vec<AfiSafi> =
                    open.add_path.iter().filter(|f| f.send).map(|f| f.family).collect();
                if families.is_empty() {
                    self.offered_add_path.remove(&key);
                } else {
                    self.offered_add_path.insert(key, families);
                }
            }
            Err(_) if !m.add_path => {
                let Some(at) = m.message_offset else { return };
                if raw.get(at + 18) != Some(&kind::UPDATE) {
                    return;
                }
                let Some(families) = self.offered_add_path.get(&key) else { return };
                let mut ctx = SessionContext::new(m.subtype.asn4());
                ctx.extended_messages = true;
                for &f in families {
                    ctx = ctx.with_add_path(f);
                }
                let retried = MessageDecoder::new(ctx).decode(&raw[at..]);
                if retried.is_ok() {
                    m.message = retried;
                    m.add_path = true;
                }
            }
            _ => {}
        }
    }

    fn table_dump_v2(
        &mut self,
        header: &MrtHeader,
        raw: &[u8],
        body: usize,
    ) -> Result<MrtBody, BodyError> {
        use TableDumpV2Subtype as S;
        let sub = S::from_code(header.subtype);
        let family = match sub {
            S::PeerIndexTable => {
                let table = Arc::new(parse_peer_index_table(raw, body)?);
                self.peers = Some(Arc::clone(&table));
                return Ok(MrtBody::PeerIndexTable(table));
            }
            S::RibIpv4Unicast | S::RibIpv4UnicastAddpath => Some(AfiSafi::IPV4_UNICAST),
            S::RibIpv6Unicast | S::RibIpv6UnicastAddpath => Some(AfiSafi::IPV6_UNICAST),
            S::RibGeneric => None,
            // RFC 8050 §4 puts the path identifier in the NLRI here, gobgp and OpenBGPD put it
            // in the RIB entry: without a way to tell, the record is not modelled.
            S::RibGenericAddpath => {
                return Ok(not_modelled("TABLE_DUMP_V2 RIB_GENERIC_ADDPATH".into()));
            }
            S::RibIpv4Multicast | S::RibIpv4MulticastAddpath => {
                return Ok(family_not_modelled("TABLE_DUMP_V2 RIB ipv4-multicast".into()));
            }
            S::RibIpv6Multicast | S::RibIpv6MulticastAddpath => {
                return Ok(family_not_modelled("TABLE_DUMP_V2 RIB ipv6-multicast".into()));
            }
            S::GeoPeerTable | S::Other(_) => {
                return Ok(not_modelled(format!("TABLE_DUMP_V2 subtype {}", header.subtype)));
            }
        };
        let Self { peers, decoders, scratch, .. } = self;
        // TABLE_DUMP_V2 attributes always use 4-octet AS numbers (RFC 6396 §4.3.4).
        let ctx = RibContext {
            peers: peers.as_deref(),
            decoder: decoder(decoders, true, false),
            scratch,
        };
        match parse_rib(raw, body, family, sub.add_path(), ctx)? {
            Some(rib) => Ok(MrtBody::Rib(rib)),
            None => Ok(family_not_modelled(generic_family(raw, body))),
        }
    }

    fn table_dump(
        &mut self,
        header: &MrtHeader,
        raw: &[u8],
        body: usize,
    ) -> Result<MrtBody, BodyError> {
        let afi = match TableDumpSubtype::from_code(header.subtype) {
            TableDumpSubtype::Ipv4 => 1,
            TableDumpSubtype::Ipv6 => 2,
            TableDumpSubtype::Other(s) => {
                return Ok(not_modelled(format!("TABLE_DUMP subtype {s}")));
            }
        };
        // The legacy format has 2-octet AS numbers everywhere (RFC 6396 §4.2).
        let decoder = decoder(&mut self.decoders, false, false);
        parse_table_dump(raw, body, afi, decoder, &mut self.scratch).map(MrtBody::TableDump)
    }
}

/// The decoder of a context, created on first use. Archives may hold messages of sessions that
/// negotiated extended messages (RFC 8654); a reader has no reason to refuse them.
fn decoder(
    decoders: &mut [Option<MessageDecoder>; 4],
    asn4: bool,
    add_path: bool,
) -> &mut MessageDecoder {
    decoders[usize::from(asn4) * 2 + usize::from(add_path)].get_or_insert_with(|| {
        let mut ctx = SessionContext { asn4, extended_messages: true, add_path: Vec::new() };
        if add_path {
            for f in ADD_PATH_FAMILIES {
                ctx = ctx.with_add_path(f);
            }
        }
        MessageDecoder::new(ctx)
    })
}

/// A record of a type or subtype the reader does not decode.
fn not_modelled(what: String) -> MrtBody {
    MrtBody::NotModelled(NotModelled { what, scope: NotModelledScope::Record })
}

/// A record the reader decodes, of a family outside the route model.
fn family_not_modelled(what: String) -> MrtBody {
    MrtBody::NotModelled(NotModelled { what, scope: NotModelledScope::Family })
}

/// "TABLE_DUMP_V2 RIB_GENERIC ipv4-vpn" for a RIB_GENERIC record of a family outside the model.
fn generic_family(raw: &[u8], body: usize) -> String {
    let family = raw
        .get(body + 4..body + 7)
        .map(|b| AfiSafi::new(u16::from_be_bytes([b[0], b[1]]), b[2]).to_string())
        .unwrap_or_default();
    format!("TABLE_DUMP_V2 RIB_GENERIC {family}")
}
