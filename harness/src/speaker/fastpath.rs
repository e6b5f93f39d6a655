//! The receive fast path for storms: IPv4 UPDATEs without MP-BGP attributes are split by
//! hand (withdrawn routes, attribute block, NLRI; RFC 4271 §4.3), and the attribute block is
//! decoded by the wire layer only when it differs from the previous UPDATE's. Everything
//! else, and anything unusual (malformed NLRI, multicast prefixes, attribute errors,
//! End-of-RIB), goes to the general decoder, so both paths give the same Adj-RIB-In.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

use bgpstorm_wire::framing::{HEADER_LEN, kind};
use bgpstorm_wire::rfc7606::code;
use bgpstorm_wire::{AfiSafi, Message, MessageDecoder, Nlri};
use ipnet::{IpNet, Ipv4Net};

use super::rib::{AdjRibIn, RouteAttrs};

/// The attribute block last decoded, and what it decoded to.
#[derive(Default)]
pub(crate) struct FastPath {
    block: Vec<u8>,
    decoded: Option<Arc<RouteAttrs>>,
    scratch: Vec<u8>,
    withdrawn: Vec<Nlri>,
    announced: Vec<Nlri>,
}

impl FastPath {
    /// Applies `msg` to `rib` if it is a plain IPv4 UPDATE; `false` means "use the general
    /// decoder" (nothing was applied).
    pub fn apply(
        &mut self,
        msg: &[u8],
        decoder: &mut MessageDecoder,
        rib: &AdjRibIn,
        at: Instant,
    ) -> bool {
        if msg.len() < HEADER_LEN + 4 || msg[18] != kind::UPDATE {
            return false;
        }
        let add_path = decoder.context().has_add_path(AfiSafi::IPV4_UNICAST);
        let wlen = u16::from_be_bytes([msg[19], msg[20]]) as usize;
        let Some(alen_at) = (HEADER_LEN + 2).checked_add(wlen).filter(|&a| a + 2 <= msg.len())
        else {
            return false;
        };
        let alen = u16::from_be_bytes([msg[alen_at], msg[alen_at + 1]]) as usize;
        let attrs_at = alen_at + 2;
        if attrs_at + alen > msg.len() || (wlen == 0 && alen == 0) {
            return false;
        }
        let (withdrawn, attrs, nlri) = (
            &msg[HEADER_LEN + 2..alen_at],
            &msg[attrs_at..attrs_at + alen],
            &msg[attrs_at + alen..],
        );
        if has_mp_attribute(attrs) != Some(false) {
            return false;
        }
        self.withdrawn.clear();
        self.announced.clear();
        if !parse_v4(withdrawn, add_path, &mut self.withdrawn)
            || !parse_v4(nlri, add_path, &mut self.announced)
        {
            return false;
        }
        if self.announced.is_empty() {
            rib.apply_parts(&self.withdrawn, &[], None, at);
            return true;
        }
        let Some(route) = self.attributes(attrs, decoder) else { return false };
        rib.apply_parts(&self.withdrawn, &self.announced, Some(route), at);
        true
    }

    /// The decoded attribute block, from the cache or the wire layer; `None` when it has
    /// errors (the general decoder must apply RFC 7606) or no NEXT_HOP.
    fn attributes(
        &mut self,
        attrs: &[u8],
        decoder: &mut MessageDecoder,
    ) -> Option<Arc<RouteAttrs>> {
        if self.block == attrs
            && let Some(d) = &self.decoded
        {
            return Some(d.clone());
        }
        // A synthetic UPDATE with the attributes and no NLRI.
        self.scratch.clear();
        self.scratch.extend_from_slice(&[0xff; 16]);
        self.scratch.extend_from_slice(&((HEADER_LEN + 4 + attrs.len()) as u16).to_be_bytes());
        self.scratch.extend_from_slice(&[kind::UPDATE, 0, 0]);
        self.scratch.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        self.scratch.extend_from_slice(attrs);
        let Ok(Message::Update(u)) = decoder.decode(&self.scratch) else { return None };
        if !u.errors.is_empty() || u.treat_as_withdraw || !u.not_modelled.is_empty() {
            return None;
        }
        let nh = u.attributes.next_hop?;
        let d = Arc::new(RouteAttrs {
            attributes: Arc::new(u.attributes),
            next_hop: Arc::from([IpAddr::V4(nh)].as_slice()),
        });
        self.block.clear();
        self.block.extend_from_slice(attrs);
        self.decoded = Some(d.clone());
        Some(d)
    }
}

/// Whether the block carries MP_REACH_NLRI or MP_UNREACH_NLRI; `None` if the TLVs do not
/// add up.
fn has_mp_attribute(mut b: &[u8]) -> Option<bool> {
    let mut mp = false;
    while !b.is_empty() {
        let (flags, t) = (*b.first()?, *b.get(1)?);
        let (len, hdr) = if flags & 0x10 != 0 {
            (u16::from_be_bytes([*b.get(2)?, *b.get(3)?]) as usize, 4)
        } else {
            (*b.get(2)? as usize, 3)
        };
        mp |= t == code::MP_REACH || t == code::MP_UNREACH;
        b = b.get(hdr + len..)?;
    }
    Some(mp)
}

/// Parses IPv4 NLRI; `false` for anything the general decoder must judge (bad lengths,
/// host bits, multicast or broadcast prefixes, RFC 4271 §6.3).
fn parse_v4(mut b: &[u8], add_path: bool, out: &mut Vec<Nlri>) -> bool {
    while !b.is_empty() {
        let path_id = if add_path {
            let Some(id) = b.first_chunk::<4>() else { return false };
            b = &b[4..];
            Some(u32::from_be_bytes(*id))
        } else {
            None
        };
        let Some(&bits) = b.first() else { return false };
        let n = (bits as usize).div_ceil(8);
        if bits > 32 || b.len() < 1 + n {
            return false;
        }
        let mut o = [0u8; 4];
        o[..n].copy_from_slice(&b[1..1 + n]);
        let addr = Ipv4Addr::from(o);
        let Ok(net) = Ipv4Net::new(addr, bits) else { return false };
        if net.network() != addr || addr.is_multicast() || addr.is_broadcast() {
            return false;
        }
        out.push(Nlri { prefix: IpNet::V4(net), path_id });
        b = &b[1 + n..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speaker::template::{PackedNlri, Template};
    use bgpstorm_wire::model::{AsPath, Community, Origin};
    use bgpstorm_wire::{PathAttributes, SessionContext};
    use proptest::prelude::*;

    fn general(msg: &[u8], d: &mut MessageDecoder, rib: &AdjRibIn, at: Instant) {
        if let Ok(Message::Update(u)) = d.decode(msg) {
            rib.apply(&u, at);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The fast path and the general decoder build the same Adj-RIB-In from the same
        /// announcements and withdrawals.
        #[test]
        fn fast_path_builds_the_same_rib_as_the_general_decoder(
            raw in proptest::collection::vec((any::<u32>(), 0u8..=32), 1..2000),
            withdraw_every in 1usize..5,
            med in proptest::option::of(any::<u32>()),
            add_path in any::<bool>(),
        ) {
            let prefixes: Vec<IpNet> = raw.iter().map(|&(a, l)| IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from(a), l).trunc())).collect();
            let mut ctx = SessionContext::default();
            if add_path { ctx = ctx.with_add_path(AfiSafi::IPV4_UNICAST); }
            let attrs = PathAttributes {
                origin: Some(Origin::Igp),
                as_path: Some(AsPath::sequence(vec![65001, 174])),
                next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
                med,
                communities: vec![Community(0x0001_0002)],
                ..PathAttributes::default()
            };
            let nh = [IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))];
            let mut bytes = Vec::new();
            Template::announce(&attrs, AfiSafi::IPV4_UNICAST, &nh, &ctx).expect("fits")
                .fill_all(&PackedNlri::pack(prefixes.iter().copied(), add_path, 3).bytes, &mut bytes);
            let gone: Vec<IpNet> = prefixes.iter().copied().step_by(withdraw_every).collect();
            Template::withdraw(AfiSafi::IPV4_UNICAST, &ctx).fill_all(&PackedNlri::pack(gone, add_path, 3).bytes, &mut bytes);
            let (fast_rib, slow_rib) = (AdjRibIn::default(), AdjRibIn::default());
            let (mut d1, mut d2, mut fp) = (MessageDecoder::new(ctx.clone()), MessageDecoder::new(ctx.clone()), FastPath::default());
            let at = Instant::now();
            let mut i = 0;
            while i < bytes.len() {
                let len = u16::from_be_bytes([bytes[i + 16], bytes[i + 17]]) as usize;
                let msg = &bytes[i..i + len];
                if !fp.apply(msg, &mut d1, &fast_rib, at) {
                    general(msg, &mut d1, &fast_rib, at);
                }
                general(msg, &mut d2, &slow_rib, at);
                i += len;
            }
            let mut a = fast_rib.snapshot();
            let mut b = slow_rib.snapshot();
            a.sort_by_key(|(n, _)| *n);
            b.sort_by_key(|(n, _)| *n);
            prop_assert_eq!(a.len(), b.len());
            prop_assert!(a == b, "the two RIBs differ");
        }
    }
}
