//! Where netgauze falls short, the wire layer still says what RFC 4760 and RFC 7606 say:
//! NLRI of families the route model does not carry are counted as "not modelled", whether
//! netgauze keeps them as raw bytes (FlowSpec, VPLS, SR Policy, MVPN) or cannot name the family
//! at all (BGP-MUP, SAFI 85), and never cost the rest of the UPDATE; a malformed attribute
//! gets the RFC 7606 action of its type even where netgauze's lenient mode loses its place.

use bgpstorm_wire::rfc7606::Action;
use bgpstorm_wire::{AfiSafi, Message, MessageDecoder, SessionContext, Update, WireError};

/// An UPDATE with no withdrawn routes, the given attribute block and no legacy NLRI.
fn update(attrs: &[u8]) -> Vec<u8> {
    update_with_nlri(attrs, &[])
}

/// An UPDATE with no withdrawn routes, the given attribute block and legacy NLRI.
fn update_with_nlri(attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut msg = vec![0xff; 16];
    msg.extend_from_slice(&((23 + attrs.len() + nlri.len()) as u16).to_be_bytes());
    msg.push(2);
    msg.extend_from_slice(&[0, 0]);
    msg.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    msg.extend_from_slice(attrs);
    msg.extend_from_slice(nlri);
    msg
}

fn decode(msg: &[u8]) -> Update {
    match MessageDecoder::new(SessionContext::default()).decode(msg) {
        Ok(Message::Update(u)) => u,
        other => panic!("not an UPDATE: {other:?}"),
    }
}

const ORIGIN_IGP: [u8; 4] = [0x40, 1, 1, 0];
const LOCAL_PREF_100: [u8; 7] = [0x40, 5, 4, 0, 0, 0, 100];

#[test]
fn end_of_rib_of_an_unnamed_family_is_that_familys_not_ipv4s() {
    // RFC 4724 §2: an UPDATE holding only an empty MP_UNREACH_NLRI (AFI 1, SAFI 85).
    let u = decode(&update(&[0x90, 15, 0, 3, 0, 1, 85]));
    assert_eq!(u.end_of_rib, Some(AfiSafi::new(1, 85)));
    assert!(u.errors.is_empty(), "{:?}", u.errors);
    assert_eq!(u.not_modelled.len(), 1);
    assert_eq!(u.not_modelled[0].count, 0);
}

#[test]
fn unnamed_family_announcement_keeps_the_attributes_after_it() {
    // MP_REACH_NLRI, AFI 1 SAFI 85 (BGP-MUP), next hop 10.0.0.2, two MUP routes
    // (architecture 1, route type 2, length 4), followed by LOCAL_PREF.
    let mut attrs = ORIGIN_IGP.to_vec();
    attrs.extend_from_slice(&[0x40, 2, 0]);
    let mp = [
        0, 1, 85, 4, 10, 0, 0, 2, 0, // AFI, SAFI, next hop, reserved
        1, 0, 2, 4, 10, 0, 0, 1, // route 1
        1, 0, 2, 4, 10, 0, 0, 3, // route 2
    ];
    attrs.extend_from_slice(&[0x90, 14, 0, mp.len() as u8]);
    attrs.extend_from_slice(&mp);
    attrs.extend_from_slice(&LOCAL_PREF_100);
    let u = decode(&update(&attrs));
    assert!(u.errors.is_empty(), "{:?}", u.errors);
    assert_eq!(u.attributes.local_pref, Some(100));
    assert_eq!(u.end_of_rib, None);
    assert_eq!(u.not_modelled.len(), 1);
    let nm = &u.not_modelled[0];
    assert_eq!((nm.family, nm.withdrawn, nm.count), (AfiSafi::new(1, 85), false, 2));
}

#[test]
fn flowspec_withdrawals_are_counted_by_rule_not_by_byte() {
    // MP_UNREACH_NLRI, AFI 1 SAFI 133: two rules of 5 and 6 octets (RFC 8955 §4.1).
    let mp = [0, 1, 133, 5, 1, 24, 10, 0, 0, 6, 1, 32, 10, 0, 0, 1];
    let mut attrs = vec![0x90, 15, 0, mp.len() as u8];
    attrs.extend_from_slice(&mp);
    let u = decode(&update(&attrs));
    assert!(u.errors.is_empty(), "{:?}", u.errors);
    let nm = &u.not_modelled[0];
    assert_eq!((nm.family, nm.withdrawn, nm.count), (AfiSafi::new(1, 133), true, 2));
}

/// ORIGIN IGP, empty AS_PATH, NEXT_HOP 10.0.0.1.
const MANDATORY: [u8; 14] = [0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 10, 0, 0, 1];

/// 10.1.1.0/24.
const NLRI: [u8; 4] = [24, 10, 1, 1];

/// A list attribute whose length is not a multiple of its element size: COMMUNITIES of 3
/// octets (RFC 7606 §7.8), EXTENDED COMMUNITIES of 7 (§7.14), LARGE_COMMUNITY of 5
/// (RFC 8092 §5). Each is treat-as-withdraw.
const MALFORMED: [(&str, u8, &[u8]); 3] = [
    ("COMMUNITIES", 8, &[0xc0, 8, 3, 0, 1, 0]),
    ("EXTENDED_COMMUNITIES", 16, &[0xc0, 16, 7, 0, 2, 0, 1, 0, 0, 0]),
    ("LARGE_COMMUNITY", 32, &[0xc0, 32, 5, 0, 0, 0, 1, 0]),
];

#[test]
fn malformed_list_attribute_is_treat_as_withdraw_wherever_it_sits() {
    for (name, code, bad) in MALFORMED {
        let last = [&MANDATORY[..], bad].concat();
        let first = [bad, &MANDATORY[..]].concat();
        for (place, attrs) in [("last", last), ("first", first)] {
            let u = decode(&update_with_nlri(&attrs, &NLRI));
            let what = format!("{name} {place}: {:?}", u.errors);
            assert_eq!(u.errors.len(), 1, "{what}");
            assert_eq!(
                (u.errors[0].type_code, u.errors[0].action),
                (code, Action::TreatAsWithdraw)
            );
            assert!(u.treat_as_withdraw, "{what}");
            assert_eq!(u.withdrawn.len(), 1, "{what}");
            // The attributes around the malformed one are all read.
            assert!(u.attributes.origin.is_some() && u.attributes.next_hop.is_some(), "{what}");
        }
    }
}

#[test]
fn malformed_next_hop_length_in_mp_reach_is_a_session_reset_that_says_so() {
    // IPv6 unicast with a 4-octet next hop (RFC 2545 §3 wants 16 or 32): RFC 7606 §7.11.
    let mp = [
        0, 2, 1, 4, 10, 0, 0, 1, 0, 0x80, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 1,
    ];
    let mut attrs = MANDATORY[..7].to_vec();
    attrs.extend_from_slice(&[0x80, 14, mp.len() as u8]);
    attrs.extend_from_slice(&mp);
    match MessageDecoder::new(SessionContext::default()).decode(&update(&attrs)) {
        Err(WireError::Attribute(e)) => {
            assert_eq!((e.type_code, e.action, e.offset), (14, Action::SessionReset, 30), "{e}");
        }
        other => panic!("expected an MP_REACH_NLRI session reset, got {other:?}"),
    }
}
