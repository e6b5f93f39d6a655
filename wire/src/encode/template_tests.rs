//! Properties of the template encoder, checked against the wire layer's decoder.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{AsPath, Community, LargeCommunity, Origin, PathAttributes};
use crate::{AfiSafi, Message, MessageDecoder, SessionContext, Update};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;

use super::template::{PackedNlri, Template, end_of_rib, frame};

fn family_of(p: &IpNet) -> AfiSafi {
    match p {
        IpNet::V4(_) => AfiSafi::IPV4_UNICAST,
        IpNet::V6(_) => AfiSafi::IPV6_UNICAST,
    }
}

fn decode_all(bytes: &[u8], ctx: &SessionContext) -> Vec<Update> {
    let mut d = MessageDecoder::new(ctx.clone());
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = u16::from_be_bytes([bytes[at + 16], bytes[at + 17]]) as usize;
        assert!(len <= ctx.max_message_len(), "message of {len} bytes");
        match d.decode(&bytes[at..at + len]) {
            Ok(Message::Update(u)) => out.push(u),
            other => panic!("not an UPDATE: {other:?}"),
        }
        at += len;
    }
    out
}

// Multicast prefixes are excluded: the decoder ignores them in unicast NLRI (RFC 4271 §6.3).
fn v4() -> impl Strategy<Value = IpNet> {
    (any::<u32>(), 0u8..=32)
        .prop_map(|(a, l)| IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from(a), l).trunc()))
        .prop_filter("unicast", |p| !matches!(p.network(), IpAddr::V4(a) if a.is_multicast()))
}

fn v6() -> impl Strategy<Value = IpNet> {
    (any::<u128>(), 0u8..=128)
        .prop_map(|(a, l)| IpNet::V6(Ipv6Net::new_assert(Ipv6Addr::from(a), l).trunc()))
        .prop_filter("unicast", |p| !matches!(p.network(), IpAddr::V6(a) if a.is_multicast()))
}

fn attrs(asn4: bool) -> impl Strategy<Value = PathAttributes> {
    let asn = if asn4 { 1u32..=u32::MAX } else { 1u32..=65535 };
    (
        proptest::collection::vec(asn, 1..20),
        proptest::option::of(any::<u32>()),
        proptest::collection::vec(any::<u32>(), 0..40),
        proptest::collection::vec((any::<u32>(), any::<u32>(), any::<u32>()), 0..10),
    )
        .prop_map(|(path, med, comms, large)| PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence(path)),
            med,
            communities: comms.into_iter().map(Community).collect(),
            large_communities: large
                .into_iter()
                .map(|(global, local1, local2)| LargeCommunity { global, local1, local2 })
                .collect(),
            ..PathAttributes::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every prefix comes out of the decoder once, with the template's attributes, in
    /// messages no larger than the session allows.
    #[test]
    fn announced_nlri_decode_to_the_same_prefixes_and_attributes(
        prefixes in proptest::collection::vec(prop_oneof![v4(), v6()], 1..3000),
        mut a in attrs(true),
        add_path in any::<bool>(),
        extended in any::<bool>(),
        asn4 in any::<bool>(),
    ) {
        let mut ctx = SessionContext::new(asn4);
        ctx.extended_messages = extended;
        if add_path {
            ctx = ctx.with_add_path(AfiSafi::IPV4_UNICAST).with_add_path(AfiSafi::IPV6_UNICAST);
        }
        for family in [AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST] {
            let of: Vec<IpNet> = prefixes.iter().copied().filter(|p| family_of(p) == family).collect();
            if of.is_empty() { continue; }
            let nh: IpAddr = if family == AfiSafi::IPV4_UNICAST { Ipv4Addr::new(192, 0, 2, 1).into() } else { "2001:db8::1".parse::<Ipv6Addr>().unwrap().into() };
            a.next_hop = match nh { IpAddr::V4(x) => Some(x), IpAddr::V6(_) => None };
            let t = Template::announce(&a, family, &[nh], &ctx).expect("fits");
            let packed = PackedNlri::pack(of.iter().copied(), add_path, 7);
            let mut out = Vec::new();
            t.fill_all(&packed.bytes, &mut out);
            let mut got = Vec::new();
            for u in decode_all(&out, &ctx) {
                prop_assert!(u.errors.is_empty(), "{:?}", u.errors);
                prop_assert_eq!(&u.attributes, &a);
                for r in &u.reach {
                    prop_assert_eq!(&r.next_hop, &vec![nh]);
                    for n in &r.nlri {
                        prop_assert_eq!(n.path_id, add_path.then_some(7));
                        got.push(n.prefix);
                    }
                }
            }
            prop_assert_eq!(got.len(), of.len());
            prop_assert!(got == of, "announced prefixes differ");
        }
    }

    /// Withdrawals decode to the same prefixes and nothing else.
    #[test]
    fn withdrawn_nlri_decode_to_the_same_prefixes(
        prefixes in proptest::collection::vec(prop_oneof![v4(), v6()], 1..3000),
        add_path in any::<bool>(),
    ) {
        let mut ctx = SessionContext::default();
        if add_path {
            ctx = ctx.with_add_path(AfiSafi::IPV4_UNICAST).with_add_path(AfiSafi::IPV6_UNICAST);
        }
        for family in [AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST] {
            let of: Vec<IpNet> = prefixes.iter().copied().filter(|p| family_of(p) == family).collect();
            if of.is_empty() { continue; }
            let t = Template::withdraw(family, &ctx);
            let mut out = Vec::new();
            t.fill_all(&PackedNlri::pack(of.iter().copied(), add_path, 1).bytes, &mut out);
            let mut got = Vec::new();
            for u in decode_all(&out, &ctx) {
                prop_assert!(u.reach.is_empty());
                got.extend(u.withdrawn.iter().map(|n| n.prefix));
            }
            prop_assert_eq!(got.len(), of.len());
            prop_assert!(got == of, "withdrawn prefixes differ");
        }
    }
}

#[test]
fn end_of_rib_markers_decode_as_end_of_rib() {
    for family in [AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST] {
        let u = decode_all(&end_of_rib(family), &SessionContext::default());
        assert_eq!(u[0].end_of_rib, Some(family));
    }
}

#[test]
fn a_full_4096_byte_update_carries_1000_ipv4_slash24() {
    let a = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(vec![65001])),
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
        ..PathAttributes::default()
    };
    let ctx = SessionContext::default();
    let t =
        Template::announce(&a, AfiSafi::IPV4_UNICAST, &[Ipv4Addr::new(192, 0, 2, 1).into()], &ctx)
            .expect("fits");
    // 10.0.0.0/24, 10.0.1.0/24, ...
    let prefixes = (0..2000u32)
        .map(|i| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).unwrap()));
    let mut out = Vec::new();
    let messages = t.fill_all(&PackedNlri::pack(prefixes, false, 0).bytes, &mut out);
    // 4096 - 19 header - 4 length fields - 20 attribute bytes = 4053 bytes: 1013 NLRI of 4
    // bytes, and a 1014th would not fit.
    assert_eq!(messages, 2);
    assert_eq!(u16::from_be_bytes([out[16], out[17]]), 4095);
    let u = decode_all(&out, &ctx);
    assert_eq!((u[0].announced_count(), u[1].announced_count()), (1013, 987));
}

#[test]
fn two_octet_session_gets_as_trans_and_as4_path() {
    let a = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(vec![4_200_000_001, 65002])),
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
        ..PathAttributes::default()
    };
    let ctx = SessionContext::new(false);
    let t =
        Template::announce(&a, AfiSafi::IPV4_UNICAST, &[Ipv4Addr::new(192, 0, 2, 1).into()], &ctx)
            .expect("fits");
    let mut out = Vec::new();
    t.fill_all(&PackedNlri::pack(["10.0.0.0/24".parse().unwrap()], false, 0).bytes, &mut out);
    // AS_PATH on the wire: one sequence of two 2-octet ASNs, the first AS_TRANS (RFC 6793 §4.2.2).
    let at = out.windows(3).position(|w| w == [0x40, 2, 6]).expect("AS_PATH of 6 bytes");
    assert_eq!(&out[at + 3..at + 9], &[2, 2, 0x5b, 0xa0, 0xfd, 0xea]);
    // The decoder merges AS4_PATH back (RFC 6793 §4.2.3).
    let u = decode_all(&out, &ctx);
    assert_eq!(u[0].attributes.as_path, a.as_path);
}

/// The UPDATE bodies of scenarios/malformed-attribute.yaml: AS_PATH [65001], NEXT_HOP
/// 10.0.2.2, with ORIGIN 7 (RFC 7606 §7.1) or a 3-octet MED (§7.4).
const ORIGIN_7: &str = "0000 0014 40010107 40020602010000fde9 4003040a000202 18644001";
const MED_3_OCTETS: &str =
    "0000 001a 40010100 40020602010000fde9 4003040a000202 80040300 0000 18644002";

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex")).collect()
}

#[test]
fn framed_attribute_errors_decode_as_treat_as_withdraw() {
    for (body, prefix) in [(ORIGIN_7, "100.64.1.0/24"), (MED_3_OCTETS, "100.64.2.0/24")] {
        let m = frame(crate::framing::kind::UPDATE, &hex(body), 4096).expect("fits");
        assert_eq!(usize::from(u16::from_be_bytes([m[16], m[17]])), m.len());
        let u = decode_all(&m, &SessionContext::new(true));
        assert!(u[0].treat_as_withdraw, "{body}: {:?}", u[0]);
        assert!(u[0].reach.is_empty());
        assert_eq!(u[0].withdrawn[0].prefix, prefix.parse::<IpNet>().expect("prefix"));
    }
}

#[test]
fn frame_refuses_bodies_over_the_message_limit() {
    assert!(frame(2, &[0; 4077], 4096).is_some());
    assert!(frame(2, &[0; 4078], 4096).is_none());
}
