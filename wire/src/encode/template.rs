//! The hot-path UPDATE encoder: one pre-encoded attribute block per route, NLRI packed once,
//! and as many NLRI per message as fit (4096 bytes, or 65535 with RFC 8654 extended messages).
//!
//! A [`Template`] is every byte of an UPDATE except the NLRI: a head (header, withdrawn
//! length, attribute length, attributes, and for MP-BGP the MP_REACH/MP_UNREACH header), a
//! tail (the empty attribute block after IPv4 withdrawals), and the few length fields that
//! grow with the NLRI. Filling a message is two copies and a few patched lengths. The
//! attribute block comes from the wire layer's reference encoder, so both agree on
//! attributes; the property tests in `template_tests` check the whole messages against the
//! wire decoder.

use std::net::IpAddr;

use super::update::{encode_update, put_nlri};
use crate::framing::{HEADER_LEN, kind};
use crate::iana::AttributeFlags;
use crate::rfc7606::code;
use crate::{AfiSafi, Nlri, PathAttributes, SessionContext, Update};
use ipnet::IpNet;

/// Optional + extended length attribute flags (RFC 4271 §4.3), used for MP_(UN)REACH_NLRI so
/// the length field can grow past 255 with the NLRI.
const OPTIONAL_EXTENDED: u8 = AttributeFlags::OPTIONAL | AttributeFlags::EXTENDED_LENGTH;

/// A route whose attributes do not leave room for a single NLRI.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the path attributes take {attributes} bytes: no room for NLRI in a {max}-byte UPDATE")]
pub struct TooLarge {
    /// Bytes of the attribute block.
    pub attributes: usize,
    /// The message size limit.
    pub max: usize,
}

/// Every byte of an UPDATE but its NLRI.
#[derive(Clone, Debug)]
pub struct Template {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// (offset, value without NLRI) of the u16 length fields that include the NLRI.
    grows: Vec<(usize, u16)>,
    max_len: usize,
    /// The family of the NLRI it carries.
    pub family: AfiSafi,
    /// Whether its NLRI carry path identifiers (RFC 7911).
    pub add_path: bool,
}

impl Template {
    /// Announcements of `family` with these attributes and next hop(s). IPv4 unicast goes in
    /// the UPDATE's own NLRI field with `attributes.next_hop`; other families in MP_REACH_NLRI
    /// with `next_hop` (RFC 4760 §3; IPv6: global, then optional link-local, RFC 2545 §3).
    pub fn announce(
        attributes: &PathAttributes,
        family: AfiSafi,
        next_hop: &[IpAddr],
        ctx: &SessionContext,
    ) -> Result<Self, TooLarge> {
        let mut attrs = attributes.clone();
        let legacy = family == AfiSafi::IPV4_UNICAST;
        if !legacy {
            attrs.next_hop = None;
        }
        let block = encode_update(&Update { attributes: attrs, ..Update::default() }, ctx);
        let mut head = block;
        let mut grows = Vec::new();
        if !legacy {
            let nh: Vec<u8> = next_hop
                .iter()
                .flat_map(|ip| match ip {
                    IpAddr::V4(a) => a.octets().to_vec(),
                    IpAddr::V6(a) => a.octets().to_vec(),
                })
                .collect();
            let fixed = 3 + 1 + nh.len() + 1;
            head.extend_from_slice(&[OPTIONAL_EXTENDED, code::MP_REACH, 0, 0]);
            let mp_len_at = head.len() - 2;
            head.extend_from_slice(&family.afi.to_be_bytes());
            head.push(family.safi);
            head.push(nh.len() as u8);
            head.extend_from_slice(&nh);
            head.push(0);
            let attr_len = head.len() - (HEADER_LEN + 4);
            grows.push((HEADER_LEN + 2, attr_len as u16));
            grows.push((mp_len_at, fixed as u16));
        }
        Self::finish(head, Vec::new(), grows, family, ctx)
    }

    /// Withdrawals of `family`: the withdrawn routes field for IPv4 unicast, MP_UNREACH_NLRI
    /// otherwise (RFC 4271 §4.3, RFC 4760 §4).
    pub fn withdraw(family: AfiSafi, ctx: &SessionContext) -> Self {
        let mut head = Vec::with_capacity(32);
        head.extend_from_slice(&[0xff; 16]);
        head.extend_from_slice(&[0, 0, kind::UPDATE]);
        let (tail, grows) = if family == AfiSafi::IPV4_UNICAST {
            head.extend_from_slice(&[0, 0]);
            (vec![0, 0], vec![(HEADER_LEN, 0)])
        } else {
            head.extend_from_slice(&[0, 0, 0, 0, OPTIONAL_EXTENDED, code::MP_UNREACH, 0, 0]);
            head.extend_from_slice(&family.afi.to_be_bytes());
            head.push(family.safi);
            (Vec::new(), vec![(HEADER_LEN + 2, 7), (HEADER_LEN + 6, 3)])
        };
        // A withdrawal template is at most 30 bytes: it always fits.
        Self::finish(head, tail, grows, family, ctx).unwrap_or_else(|_| unreachable!())
    }

    fn finish(
        head: Vec<u8>,
        tail: Vec<u8>,
        grows: Vec<(usize, u16)>,
        family: AfiSafi,
        ctx: &SessionContext,
    ) -> Result<Self, TooLarge> {
        let max_len = ctx.max_message_len();
        // Room for at least one full-length IPv6 NLRI with a path identifier.
        if head.len() + tail.len() + 21 > max_len {
            return Err(TooLarge { attributes: head.len() - HEADER_LEN, max: max_len });
        }
        Ok(Self { head, tail, grows, max_len, family, add_path: ctx.has_add_path(family) })
    }

    /// Bytes left for NLRI in one message.
    #[inline]
    pub fn room(&self) -> usize {
        self.max_len - self.head.len() - self.tail.len()
    }

    /// Appends one UPDATE carrying as many whole NLRI from the start of `nlri` (packed by
    /// [`PackedNlri`] for this template's ADD-PATH setting) as fit. Returns the bytes of
    /// `nlri` used and the number of prefixes.
    #[inline]
    pub fn fill(&self, nlri: &[u8], out: &mut Vec<u8>) -> (usize, usize) {
        let (used, count) = fit(nlri, self.room(), self.add_path);
        let start = out.len();
        out.extend_from_slice(&self.head);
        out.extend_from_slice(&nlri[..used]);
        out.extend_from_slice(&self.tail);
        let msg = &mut out[start..];
        let len = msg.len() as u16;
        msg[16..18].copy_from_slice(&len.to_be_bytes());
        for &(at, base) in &self.grows {
            msg[at..at + 2].copy_from_slice(&(base + used as u16).to_be_bytes());
        }
        (used, count)
    }

    /// Appends as many UPDATEs as it takes to carry all of `nlri`; returns the message count.
    #[inline]
    pub fn fill_all(&self, mut nlri: &[u8], out: &mut Vec<u8>) -> usize {
        let mut messages = 0;
        while !nlri.is_empty() {
            let (used, _) = self.fill(nlri, out);
            nlri = &nlri[used..];
            messages += 1;
        }
        messages
    }
}

/// A whole message of type `kind` around `body`: marker, length, type (RFC 4271 §4.1), for
/// bytes the template encoder would never write (malformed UPDATEs, RFC 7606 tests). `None`
/// when the body does not fit in `max_len` (4096, or 65535 with extended messages).
pub fn frame(kind: u8, body: &[u8], max_len: usize) -> Option<Vec<u8>> {
    let len = u16::try_from(HEADER_LEN + body.len()).ok().filter(|&l| usize::from(l) <= max_len)?;
    let mut m = Vec::with_capacity(usize::from(len));
    m.extend_from_slice(&[0xff; 16]);
    m.extend_from_slice(&len.to_be_bytes());
    m.push(kind);
    m.extend_from_slice(body);
    Some(m)
}

/// The End-of-RIB marker of a family (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an
/// UPDATE with an empty MP_UNREACH_NLRI for the others.
pub fn end_of_rib(family: AfiSafi) -> Vec<u8> {
    let mut m = Vec::with_capacity(30);
    m.extend_from_slice(&[0xff; 16]);
    m.extend_from_slice(&[0, 0, kind::UPDATE, 0, 0]);
    if family == AfiSafi::IPV4_UNICAST {
        m.extend_from_slice(&[0, 0]);
    } else {
        m.extend_from_slice(&[0, 6, AttributeFlags::OPTIONAL, code::MP_UNREACH, 3]);
        m.extend_from_slice(&family.afi.to_be_bytes());
        m.push(family.safi);
    }
    let len = m.len() as u16;
    m[16..18].copy_from_slice(&len.to_be_bytes());
    m
}

/// How many bytes of whole NLRI entries at the start of `nlri` fit in `room`, and how many
/// entries that is.
#[inline]
fn fit(nlri: &[u8], room: usize, add_path: bool) -> (usize, usize) {
    let skip = if add_path { 4 } else { 0 };
    let (mut at, mut count) = (0, 0);
    while at < nlri.len() {
        let Some(&bits) = nlri.get(at + skip) else { break };
        let next = at + skip + 1 + (bits as usize).div_ceil(8);
        if next > room || next > nlri.len() {
            break;
        }
        at = next;
        count += 1;
    }
    (at, count)
}

/// Prefixes of one family in NLRI encoding, back to back (RFC 4271 §4.3, RFC 7911 §3).
#[derive(Clone, Debug, Default)]
pub struct PackedNlri {
    /// The encoded entries.
    pub bytes: Vec<u8>,
    /// How many entries.
    pub count: usize,
}

impl PackedNlri {
    /// Packs prefixes, with path identifiers when `add_path` (`path_id` for all of them).
    pub fn pack(prefixes: impl IntoIterator<Item = IpNet>, add_path: bool, path_id: u32) -> Self {
        let mut p = Self::default();
        for prefix in prefixes {
            p.push(prefix, add_path, path_id);
        }
        p
    }

    /// Appends one prefix.
    pub fn push(&mut self, prefix: IpNet, add_path: bool, path_id: u32) {
        let n = Nlri { prefix, path_id: Some(path_id) };
        put_nlri(&mut self.bytes, &n, add_path);
        self.count += 1;
    }

    /// Whether there is nothing packed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}
