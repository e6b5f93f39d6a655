//! BGP messages in the model's terms and the decoder that produces them.

use netgauze_bgp_pkt::BgpMessage;
use netgauze_bgp_pkt::capabilities::BgpCapability;
use netgauze_bgp_pkt::path_attribute::PathAttribute;
use netgauze_bgp_pkt::wire::deserializer::{BgpMessageParsingError, BgpParsingContext};
use netgauze_parse_utils::reader::SliceReader;
use netgauze_parse_utils::traits::ParseFromWithOneInput;
use serde::Serialize;
use std::net::Ipv4Addr;

use super::attributes::{self, Converted};
use super::context::{AfiSafi, SessionContext};
use super::error::WireError;
use super::framing::{self, HEADER_LEN};
use super::iana::{
    CeaseSubcode, ErrorCode, MessageHeaderError, MessageType, OpenMessageError, RouteRefreshError,
    UpdateMessageError,
};
use super::model::{Nlri, Reach, Unreach, Update, hex};
use super::multicast;
use super::rfc7606::{Action, AttributeError, code};

/// A decoded BGP message.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING-KEBAB-CASE")]
// Most messages on a session are UPDATEs: boxing the large variant would cost an allocation
// per message to save memory on the rare small ones.
#[allow(clippy::large_enum_variant)]
pub enum Message {
    /// OPEN (RFC 4271 §4.2).
    Open(Open),
    /// UPDATE (RFC 4271 §4.3).
    Update(Update),
    /// NOTIFICATION (RFC 4271 §4.5).
    Notification(Notification),
    /// KEEPALIVE (RFC 4271 §4.4).
    Keepalive,
    /// ROUTE-REFRESH (RFC 2918, RFC 7313).
    RouteRefresh(RouteRefresh),
}

impl Message {
    /// The message type name as on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Open(_) => "OPEN",
            Self::Update(_) => "UPDATE",
            Self::Notification(_) => "NOTIFICATION",
            Self::Keepalive => "KEEPALIVE",
            Self::RouteRefresh(_) => "ROUTE-REFRESH",
        }
    }
}

/// One family of an ADD-PATH capability (RFC 7911 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AddPathFamily {
    /// The family.
    pub family: AfiSafi,
    /// The sender of the OPEN will send path identifiers.
    pub send: bool,
    /// The sender of the OPEN can receive path identifiers.
    pub receive: bool,
}

/// OPEN, with the capabilities that shape a session picked out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Open {
    /// BGP version (4).
    pub version: u8,
    /// The speaker's AS: the 4-octet capability's value when present, else My AS.
    pub asn: u32,
    /// Hold time in seconds.
    pub hold_time: u16,
    /// BGP identifier.
    pub bgp_id: Ipv4Addr,
    /// RFC 6793 capability value, if advertised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub four_octet_as: Option<u32>,
    /// Multiprotocol families advertised (RFC 4760).
    pub families: Vec<AfiSafi>,
    /// RFC 2918 route refresh advertised.
    pub route_refresh: bool,
    /// RFC 8654 extended messages advertised.
    pub extended_message: bool,
    /// RFC 7911 ADD-PATH families.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add_path: Vec<AddPathFamily>,
    /// RFC 4724 graceful restart: restart time in seconds, if advertised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graceful_restart: Option<u16>,
    /// Every capability as netgauze decodes it.
    pub capabilities: Vec<serde_json::Value>,
}

impl Open {
    /// The same OPEN with every ADD-PATH family turned around (send ↔ receive), so that
    /// [`SessionContext::offered`] can treat one OPEN as if both sides sent it.
    pub(crate) fn mirrored_add_path(&self) -> Open {
        let mut o = self.clone();
        for f in &mut o.add_path {
            std::mem::swap(&mut f.send, &mut f.receive);
        }
        o
    }
}

/// NOTIFICATION.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notification {
    /// Error code.
    pub code: u8,
    /// Error subcode.
    pub subcode: u8,
    /// Data, hex.
    pub data: String,
    /// RFC 9003 shutdown communication, for Cease / Administrative Shutdown or Reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_message: Option<String>,
}

/// ROUTE-REFRESH.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RouteRefresh {
    /// The family to refresh.
    pub family: AfiSafi,
    /// RFC 7313 subtype: 0 normal, 1 BoRR, 2 EoRR.
    pub subtype: u8,
}

/// Decodes framed messages of one direction of one session.
pub struct MessageDecoder {
    ctx: SessionContext,
    ng: BgpParsingContext,
}

impl MessageDecoder {
    /// A decoder for messages read under `ctx`.
    pub fn new(ctx: SessionContext) -> Self {
        let ng = ctx.parsing_context();
        Self { ctx, ng }
    }

    /// The context in force.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Changes the context (after an OPEN exchange).
    pub fn set_context(&mut self, ctx: SessionContext) {
        if ctx != self.ctx {
            self.ng = ctx.parsing_context();
            self.ctx = ctx;
        }
    }

    /// Decodes exactly one message, header included.
    pub fn decode(&mut self, msg: &[u8]) -> Result<Message, WireError> {
        let len = match framing::message_len(msg, self.ctx.max_message_len())? {
            Some(len) => len,
            None => {
                return Err(WireError::Truncated {
                    offset: 0,
                    needed: HEADER_LEN,
                    available: msg.len(),
                });
            }
        };
        if msg.len() < len {
            return Err(WireError::Truncated { offset: 0, needed: len, available: msg.len() });
        }
        let msg = &msg[..len];
        // `message_len` accepted the type octet.
        match MessageType::try_from(msg[18]) {
            Ok(MessageType::Keepalive) => Ok(Message::Keepalive),
            Ok(MessageType::Notification) => Ok(Message::Notification(notification(msg))),
            Ok(MessageType::RouteRefresh) => route_refresh(msg),
            Ok(MessageType::Open) => self.open(msg),
            Ok(MessageType::Update) | Err(_) => self.update(msg).map(Message::Update),
        }
    }

    fn parse(&mut self, msg: &[u8]) -> Result<BgpMessage, BgpMessageParsingError> {
        let mut reader = SliceReader::new(msg);
        BgpMessage::parse(&mut reader, &mut self.ng)
    }

    fn open(&mut self, msg: &[u8]) -> Result<Message, WireError> {
        let parsed = self.parse(msg);
        self.ng.reset_parsing_errors();
        match parsed {
            Ok(BgpMessage::Open(o)) => Ok(Message::Open(convert_open(&o))),
            Ok(_) => unreachable_type(msg),
            Err(e) => Err(body_error(
                "OPEN",
                e,
                ErrorCode::OpenMessage.with(OpenMessageError::Unspecific),
            )),
        }
    }

    fn update(&mut self, msg: &[u8]) -> Result<Update, WireError> {
        let scanned = attribute_block(msg).map(|(block, base)| {
            let (raw, overrun) = attributes::scan(block, base);
            (block, base, raw, overrun.is_some())
        });
        let mut hidden = scanned.as_ref().and_then(|s| self.hide(msg, s, false));
        let mut parsed = self.parse(hidden.as_ref().map_or(msg, |h| h.msg.as_slice()));
        let mut ng_errors = self.ng.reset_parsing_errors();
        // netgauze's lenient mode loses its place after some malformed attributes: it skips
        // the attribute that follows, or rejects the whole UPDATE. Find the malformed ones by
        // parsing each alone, hide them too and parse again; `convert` applies RFC 7606.
        if (parsed.is_err() || !ng_errors.path_attr_errors().is_empty())
            && let Some(h) = scanned.as_ref().and_then(|s| self.hide(msg, s, true))
        {
            parsed = self.parse(&h.msg);
            ng_errors = self.ng.reset_parsing_errors();
            hidden = Some(h);
        }
        let up = match parsed {
            Ok(BgpMessage::Update(u)) => u,
            Ok(_) => return unreachable_type(msg),
            Err(e) => return self.broken_update(msg, e),
        };
        let (block, _, raw, _) = scanned.ok_or_else(|| WireError::Body {
            message: "UPDATE",
            offset: HEADER_LEN,
            reason: "lengths do not add up".into(),
            notification: MALFORMED_ATTRIBUTE_LIST,
        })?;
        let conv = attributes::convert(
            up.path_attributes(),
            ng_errors.path_attr_errors(),
            hidden.as_ref().map_or(&[][..], |h| &h.isolated),
            &raw,
            block,
            &self.ctx,
        )
        .map_err(WireError::Attribute)?;
        let withdrawn: Vec<Nlri> = up
            .withdraw_routes()
            .iter()
            .map(|n| Nlri { prefix: n.network().address().into(), path_id: n.path_id() })
            .collect();
        let legacy: Vec<Nlri> = up
            .nlri()
            .iter()
            .map(|n| Nlri { prefix: n.network().address().into(), path_id: n.path_id() })
            .collect();
        let end_of_rib = match hidden {
            Some(h) => h.end_of_rib,
            None => up.end_of_rib().map(AfiSafi::from_address_type),
        };
        let mut update = assemble(withdrawn, legacy, conv, end_of_rib);
        let ignored =
            ng_errors.non_unicast_withdraw_nlri().iter().chain(ng_errors.non_unicast_update_nlri());
        update.ignored_nlri.extend(ignored.map(|n| ipnet::IpNet::V4(*n)));
        Ok(update)
    }

    /// The UPDATE with some attributes kept from netgauze, or `None` when none need to be:
    /// MP_(UN)REACH_NLRI of families netgauze cannot name (it would reject the whole message
    /// for them, while RFC 4760 lets the rest stand: `convert` counts them as not modelled)
    /// or reads wrongly (multicast: `convert` decodes them with [`multicast`]),
    /// and with `isolate`, every attribute netgauze fails to parse on its own.
    fn hide(&mut self, msg: &[u8], scanned: &Scanned<'_>, isolate: bool) -> Option<Hidden> {
        let (block, base, raw, overrun) = scanned;
        let foreign = |r: &attributes::RawAttr| {
            let value = &block[r.value.0..r.value.1];
            attributes::foreign_family(r.code, value).or_else(|| multicast::family(r.code, value))
        };
        // The common case, on every UPDATE: nothing to hide, nothing allocated.
        if *overrun || (!isolate && raw.iter().all(|r| foreign(r).is_none())) {
            return None;
        }
        let bytes = |r: &attributes::RawAttr| &msg[r.offset..base + r.value.1];
        let mut isolated = Vec::new();
        let mut kept = Vec::with_capacity(block.len());
        let mut foreign_seen = None;
        for r in raw {
            if let Some(f) = foreign(r) {
                foreign_seen = Some(f);
                continue;
            }
            if isolate {
                let alone = PathAttribute::parse(&mut SliceReader::new(bytes(r)), &mut self.ng);
                if let Err(e) = alone {
                    isolated.push((r.offset, e.to_string()));
                    continue;
                }
            }
            kept.extend_from_slice(bytes(r));
        }
        self.ng.reset_parsing_errors();
        if foreign_seen.is_none() && isolated.is_empty() {
            return None;
        }
        // RFC 4724 §2: an End-of-RIB is an UPDATE with nothing but an empty MP_UNREACH_NLRI;
        // netgauze, seeing an empty UPDATE, would take it for IPv4's.
        let end_of_rib = match raw.as_slice() {
            [r] if r.code == code::MP_UNREACH
                && r.value.1 - r.value.0 == 3
                && msg.len() == base + block.len()
                && *base == 23 =>
            {
                foreign_seen
            }
            _ => None,
        };
        let mut out = Vec::with_capacity(msg.len());
        out.extend_from_slice(&msg[..base - 2]);
        out.extend_from_slice(&(kept.len() as u16).to_be_bytes());
        out.extend_from_slice(&kept);
        out.extend_from_slice(&msg[base + block.len()..]);
        let len = out.len() as u16;
        out[16..18].copy_from_slice(&len.to_be_bytes());
        Some(Hidden { msg: out, isolated, end_of_rib })
    }

    /// netgauze gave up on the whole message. RFC 7606 §4: when only the attribute block is
    /// broken (an attribute overruns it) and the NLRI fields can still be read, the message is
    /// treat-as-withdraw; otherwise it is a session reset.
    fn broken_update(&self, msg: &[u8], e: BgpMessageParsingError) -> Result<Update, WireError> {
        let Some((block, base)) = attribute_block(msg) else {
            return Err(body_error("UPDATE", e, MALFORMED_ATTRIBUTE_LIST));
        };
        let (raw, overrun) = attributes::scan(block, base);
        let Some(overrun) = overrun else {
            return Err(body_error("UPDATE", e, MALFORMED_ATTRIBUTE_LIST));
        };
        let has_mp = raw.iter().any(|r| matches!(r.code, 14 | 15));
        let add_path = self.ctx.has_add_path(AfiSafi::IPV4_UNICAST);
        let wlen = u16::from_be_bytes([msg[19], msg[20]]) as usize;
        let withdrawn = attributes::parse_ipv4_prefixes(&msg[21..21 + wlen], add_path);
        let nlri = attributes::parse_ipv4_prefixes(&msg[base + block.len()..], add_path);
        match (withdrawn, nlri, has_mp) {
            (Some(mut withdrawn), Some(nlri), false) => {
                withdrawn.extend(nlri);
                Ok(Update {
                    withdrawn,
                    errors: vec![overrun],
                    treat_as_withdraw: true,
                    ..Update::default()
                })
            }
            _ => Err(WireError::Attribute(AttributeError {
                action: Action::SessionReset,
                ..overrun
            })),
        }
    }
}

/// UPDATE Message Error / Malformed Attribute List (RFC 4271 §6.3).
const MALFORMED_ATTRIBUTE_LIST: (u8, u8) =
    (ErrorCode::UpdateMessage as u8, UpdateMessageError::MalformedAttributeList as u8);

fn unreachable_type<T>(msg: &[u8]) -> Result<T, WireError> {
    Err(WireError::Header {
        offset: 18,
        reason: format!("unexpected message type {}", msg[18]),
        subcode: MessageHeaderError::BadMessageType.into(),
    })
}

/// The attribute block of an UPDATE and its offset in the message, when the two length
/// fields fit in the message (RFC 4271 §4.3).
fn attribute_block(msg: &[u8]) -> Option<(&[u8], usize)> {
    let wlen = u16::from_be_bytes([*msg.get(19)?, *msg.get(20)?]) as usize;
    let alen_at = 21 + wlen;
    let alen = u16::from_be_bytes([*msg.get(alen_at)?, *msg.get(alen_at + 1)?]) as usize;
    let base = alen_at + 2;
    Some((msg.get(base..base + alen)?, base))
}

/// An UPDATE's attribute block, its offset, its raw scan and whether an attribute overran it.
type Scanned<'a> = (&'a [u8], usize, Vec<attributes::RawAttr>, bool);

/// What netgauze is given instead of an UPDATE whose attributes it cannot cope with.
struct Hidden {
    /// The UPDATE without those attributes.
    msg: Vec<u8>,
    /// Offsets of the attributes netgauze could not parse on their own, with its reason.
    isolated: Vec<(usize, String)>,
    /// The message is the End-of-RIB of a family netgauze cannot name.
    end_of_rib: Option<AfiSafi>,
}

/// Puts the legacy fields and the converted attributes together and applies the
/// message-level RFC 7606 rules (§3 d: missing mandatory attributes; §2 treat-as-withdraw).
pub(crate) fn assemble(
    mut withdrawn: Vec<Nlri>,
    legacy: Vec<Nlri>,
    conv: Converted,
    end_of_rib: Option<AfiSafi>,
) -> Update {
    let Converted { attrs, mp_reach, mp_unreach, mut unreach, not_modelled, mut errors } = conv;
    withdrawn.extend(mp_unreach);
    let mut reach = Vec::with_capacity(1 + mp_reach.len());
    let has_legacy = !legacy.is_empty();
    if has_legacy {
        let next_hop = attrs.next_hop.map(std::net::IpAddr::V4).into_iter().collect();
        reach.push(Reach { family: AfiSafi::IPV4_UNICAST, next_hop, nlri: legacy });
    }
    reach.extend(mp_reach);
    let announces = reach.iter().any(|r| !r.nlri.is_empty());
    if announces {
        let mut missing = Vec::new();
        if attrs.origin.is_none() && !errors.iter().any(|e| e.type_code == 1) {
            missing.push((1, "ORIGIN"));
        }
        if attrs.as_path.is_none() && !errors.iter().any(|e| e.type_code == 2) {
            missing.push((2, "AS_PATH"));
        }
        if has_legacy && attrs.next_hop.is_none() && !errors.iter().any(|e| e.type_code == 3) {
            missing.push((3, "NEXT_HOP"));
        }
        for (code, name) in missing {
            errors.push(AttributeError {
                type_code: code,
                offset: 0,
                action: Action::TreatAsWithdraw,
                reason: format!("well-known mandatory attribute {name} is missing"),
            });
        }
    }
    let treat_as_withdraw = announces && errors.iter().any(|e| e.action == Action::TreatAsWithdraw);
    if treat_as_withdraw {
        for r in reach.drain(..) {
            if r.family.is_unicast() {
                withdrawn.extend(r.nlri);
            } else {
                unreach.push(Unreach { family: r.family, nlri: r.nlri });
            }
        }
    }
    Update {
        withdrawn,
        reach,
        unreach,
        attributes: attrs,
        not_modelled,
        errors,
        ignored_nlri: Vec::new(),
        treat_as_withdraw,
        end_of_rib,
    }
}

fn body_error(
    message: &'static str,
    e: BgpMessageParsingError,
    notification: (u8, u8),
) -> WireError {
    let offset = match &e {
        BgpMessageParsingError::ConnectionNotSynchronized { offset, .. }
        | BgpMessageParsingError::UndefinedBgpMessageType { offset, .. }
        | BgpMessageParsingError::BadMessageLength { offset, .. }
        | BgpMessageParsingError::UnparseableBytes { offset, .. } => *offset,
        _ => HEADER_LEN,
    };
    WireError::Body { message, offset, reason: e.to_string(), notification }
}

fn convert_open(o: &netgauze_bgp_pkt::open::BgpOpenMessage) -> Open {
    let caps = o.capabilities();
    let mut open = Open {
        version: o.version(),
        asn: o.my_asn4(),
        hold_time: o.hold_time(),
        bgp_id: o.bgp_id(),
        four_octet_as: None,
        families: Vec::new(),
        route_refresh: false,
        extended_message: false,
        add_path: Vec::new(),
        graceful_restart: None,
        capabilities: Vec::with_capacity(caps.len()),
    };
    for cap in caps {
        match cap {
            BgpCapability::FourOctetAs(c) => open.four_octet_as = Some(c.asn4()),
            BgpCapability::MultiProtocolExtensions(m) => {
                open.families.push(AfiSafi::from_address_type(m.address_type()))
            }
            BgpCapability::RouteRefresh | BgpCapability::CiscoRouteRefresh => {
                open.route_refresh = true
            }
            BgpCapability::ExtendedMessage => open.extended_message = true,
            BgpCapability::GracefulRestartCapability(g) => open.graceful_restart = Some(g.time()),
            BgpCapability::AddPath(_) => {
                for (family, send, receive) in capability_add_path(cap) {
                    open.add_path.push(AddPathFamily { family, send, receive });
                }
            }
            _ => {}
        }
        open.capabilities.push(serde_json::to_value(cap).unwrap_or(serde_json::Value::Null));
    }
    open
}

fn notification(msg: &[u8]) -> Notification {
    let (code, subcode) = (msg[19], msg[20]);
    let data = &msg[21..];
    // RFC 9003 §2: Cease / Administrative Shutdown (2) or Reset (4): length octet, UTF-8.
    let shutdown = [CeaseSubcode::AdministrativeShutdown, CeaseSubcode::AdministrativeReset];
    let shutdown_message = if code == u8::from(ErrorCode::Cease)
        && shutdown.iter().any(|s| u8::from(*s) == subcode)
        && !data.is_empty()
    {
        let n = data[0] as usize;
        data.get(1..1 + n).map(|t| String::from_utf8_lossy(t).into_owned())
    } else {
        None
    };
    Notification { code, subcode, data: hex(data), shutdown_message }
}

fn route_refresh(msg: &[u8]) -> Result<Message, WireError> {
    if msg.len() != 23 {
        return Err(WireError::Body {
            message: "ROUTE-REFRESH",
            offset: 16,
            reason: format!("length {} is not 23", msg.len()),
            notification: ErrorCode::RouteRefreshMessage
                .with(RouteRefreshError::InvalidMessageLength),
        });
    }
    let afi = u16::from_be_bytes([msg[19], msg[20]]);
    Ok(Message::RouteRefresh(RouteRefresh { family: AfiSafi::new(afi, msg[22]), subtype: msg[21] }))
}

/// Session contexts from the OPENs that negotiate them (kept beside [`Open`] so that the
/// context does not depend on the message model).
impl SessionContext {
    /// The context of messages sent by the speaker that sent `sender` to the one that sent
    /// `receiver`, from the capabilities both advertised (RFC 6793 §4, RFC 7911 §4,
    /// RFC 8654 §3).
    pub fn negotiated(sender: &Open, receiver: &Open) -> Self {
        let asn4 = sender.four_octet_as.is_some() && receiver.four_octet_as.is_some();
        let extended_messages = sender.extended_message && receiver.extended_message;
        let mut add_path = Vec::new();
        for s in &sender.add_path {
            let peer_receives = receiver.add_path.iter().any(|r| r.family == s.family && r.receive);
            if s.send && peer_receives && !add_path.contains(&s.family) {
                add_path.push(s.family);
            }
        }
        add_path.sort();
        Self { asn4, extended_messages, add_path }
    }

    /// The context a reader must guess when it only sees one OPEN (e.g. a capture that starts
    /// with one side's OPEN): what that side offered, as if the other side offered the same.
    pub fn offered(open: &Open) -> Self {
        Self::negotiated(open, &open.mirrored_add_path())
    }
}

/// Feeds the ADD-PATH capability of an OPEN into a netgauze context (used for guessing).
pub(crate) fn capability_add_path(cap: &BgpCapability) -> Vec<(AfiSafi, bool, bool)> {
    match cap {
        BgpCapability::AddPath(ap) => ap
            .address_families()
            .iter()
            .map(|f| (AfiSafi::from_address_type(f.address_type()), f.send(), f.receive()))
            .collect(),
        _ => Vec::new(),
    }
}
