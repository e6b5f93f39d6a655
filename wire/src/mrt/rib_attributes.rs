//! The attribute block of a RIB entry, decoded by the same wire layer as live UPDATEs.
//!
//! A RIB entry carries a bare path attribute block. We wrap it into a synthetic UPDATE (no
//! withdrawn routes, the attributes, no NLRI) and let [`MessageDecoder`] read it, so that
//! RFC 7606 handling, the AS4_PATH merge and the attribute model are exactly those of live
//! sessions. RFC 6396 §4.3.4 lets a dump abbreviate MP_REACH_NLRI to its next hop only
//! (length, address); such an attribute is rewritten into a full MP_REACH_NLRI first.

use std::net::IpAddr;

use crate::context::AfiSafi;
use crate::error::WireError;
use crate::framing::HEADER_LEN;
use crate::iana::{ErrorCode, MessageHeaderError, UpdateMessageError};
use crate::message::{Message, MessageDecoder};
use crate::model::{NotModelled, PathAttributes};
use crate::rfc7606::{AttributeError, code};

/// The attributes of one RIB entry in the model's terms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RibRoute {
    /// The path attributes (AS4_PATH merged for the 2-octet legacy TABLE_DUMP).
    pub attributes: PathAttributes,
    /// Next hop(s): those of MP_REACH_NLRI when present (IPv6: global, then link-local,
    /// RFC 2545 §3), otherwise the NEXT_HOP attribute; empty when the entry has neither.
    pub next_hop: Vec<IpAddr>,
    /// Whether `next_hop` comes from MP_REACH_NLRI rather than NEXT_HOP.
    pub mp_next_hop: bool,
    /// Attribute errors handled by RFC 7606 without rejecting the entry.
    pub errors: Vec<AttributeError>,
    /// MP_REACH_NLRI of a family the model does not carry.
    pub not_modelled: Vec<NotModelled>,
}

/// Decodes the attribute block `attrs` of a RIB entry for a prefix of `family`.
///
/// `decoder` sets the AS number width: 4 octets for TABLE_DUMP_V2 (RFC 6396 §4.3.4), 2 for
/// the legacy TABLE_DUMP (§4.2); its context should allow extended messages, since a RIB
/// entry's attributes may be longer than a 4096-byte UPDATE. `scratch` is reused between
/// calls to build the synthetic UPDATE without allocating.
pub fn decode_rib_attributes(
    decoder: &mut MessageDecoder,
    scratch: &mut Vec<u8>,
    family: AfiSafi,
    attrs: &[u8],
) -> Result<RibRoute, WireError> {
    synthetic_update(scratch, family, attrs)?;
    let update = match decoder.decode(scratch)? {
        Message::Update(u) => u,
        other => {
            return Err(WireError::Body {
                message: "UPDATE",
                offset: 18,
                reason: format!("synthetic UPDATE decoded as {}", other.type_name()),
                notification: ErrorCode::MessageHeader.with(MessageHeaderError::BadMessageType),
            });
        }
    };
    let mp = update.reach.iter().find(|r| r.family == family).or(update.reach.first());
    let (next_hop, mp_next_hop) = match mp {
        Some(r) if !r.next_hop.is_empty() => (r.next_hop.clone(), true),
        _ => (update.attributes.next_hop.map(IpAddr::V4).into_iter().collect(), false),
    };
    Ok(RibRoute {
        attributes: update.attributes,
        next_hop,
        mp_next_hop,
        errors: update.errors,
        not_modelled: update.not_modelled,
    })
}

/// Writes into `out` an UPDATE with no withdrawn routes, the attributes `attrs` (abbreviated
/// MP_REACH_NLRI expanded) and no NLRI (RFC 4271 §4.3).
///
/// ```text
/// +-----------------------------------------------------+
/// |   Withdrawn Routes Length (2 octets) = 0            |
/// +-----------------------------------------------------+
/// |   Total Path Attribute Length (2 octets)            |
/// +-----------------------------------------------------+
/// |   Path Attributes (variable)                        |
/// +-----------------------------------------------------+
/// ```
pub(crate) fn synthetic_update(
    out: &mut Vec<u8>,
    family: AfiSafi,
    attrs: &[u8],
) -> Result<(), WireError> {
    out.clear();
    out.extend_from_slice(&[0xff; 16]);
    out.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0]);
    let mut i = 0;
    while let Some((flags, type_code, value, end)) = next_attribute(attrs, i) {
        if type_code == code::MP_REACH && is_abbreviated_mp_reach(value) {
            expand_mp_reach(out, flags, family, &value[1..]);
        } else {
            out.extend_from_slice(&attrs[i..end]);
        }
        i = end;
    }
    // Whatever could not be walked is passed on as is: the decoder reports it (RFC 7606 §4).
    out.extend_from_slice(&attrs[i..]);
    let attr_len = out.len() - HEADER_LEN - 4;
    if out.len() > usize::from(u16::MAX) {
        return Err(WireError::Body {
            message: "UPDATE",
            offset: HEADER_LEN + 2,
            reason: format!("RIB entry attributes of {attr_len} bytes do not fit in an UPDATE"),
            notification: ErrorCode::UpdateMessage.with(UpdateMessageError::MalformedAttributeList),
        });
    }
    let total = out.len() as u16;
    out[16..18].copy_from_slice(&total.to_be_bytes());
    out[21..23].copy_from_slice(&(attr_len as u16).to_be_bytes());
    Ok(())
}

/// The attribute starting at `i`: flags, type code, value and the offset after it, when its
/// header and value fit in `attrs`.
fn next_attribute(attrs: &[u8], i: usize) -> Option<(u8, u8, &[u8], usize)> {
    let flags = *attrs.get(i)?;
    let type_code = *attrs.get(i + 1)?;
    let (len, hdr) = if flags & 0x10 != 0 {
        (usize::from(u16::from_be_bytes([*attrs.get(i + 2)?, *attrs.get(i + 3)?])), 4)
    } else {
        (usize::from(*attrs.get(i + 2)?), 3)
    };
    let end = i + hdr + len;
    Some((flags, type_code, attrs.get(i + hdr..end)?, end))
}

/// RFC 6396 §4.3.4: the abbreviated MP_REACH_NLRI holds only the next-hop length and the next
/// hop. Some writers store the full attribute instead; its first octet is the high octet of
/// the AFI (0 for every AFI in use), so the two forms cannot be confused.
pub(crate) fn is_abbreviated_mp_reach(value: &[u8]) -> bool {
    !value.is_empty() && value.len() == 1 + usize::from(value[0])
}

/// Writes a full MP_REACH_NLRI (RFC 4760 §3) with the given next hop and no NLRI.
fn expand_mp_reach(out: &mut Vec<u8>, flags: u8, family: AfiSafi, next_hop: &[u8]) {
    // AFI, SAFI, next-hop length, next hop, reserved.
    let len = 2 + 1 + 1 + next_hop.len() + 1;
    if len > 255 {
        out.extend_from_slice(&[flags | 0x10, code::MP_REACH]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.extend_from_slice(&[flags & !0x10, code::MP_REACH, len as u8]);
    }
    out.extend_from_slice(&family.afi.to_be_bytes());
    out.push(family.safi);
    out.push(next_hop.len() as u8);
    out.extend_from_slice(next_hop);
    out.push(0);
}
