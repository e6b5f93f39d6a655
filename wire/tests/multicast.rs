//! IPv4 and IPv6 multicast routes (SAFI 2) are ordinary prefixes of their own family
//! (RFC 4760 §6), not class-D groups: they decode as routes of that family and never reset
//! the session.
//!
//! No capture or MRT file in data/ announces a SAFI 2 prefix (Quagga's sample carries only
//! their End-of-RIB markers), so the announcements below are real UPDATEs of data/hex with
//! the SAFI octet changed from 1 to 2.

use bgpstorm_wire::encode::encode_update;
use bgpstorm_wire::mrt::{MrtBody, MrtReader};
use bgpstorm_wire::{AfiSafi, Message, MessageDecoder, Nlri, SessionContext, Update};
use std::net::IpAddr;
use std::path::Path;

fn data(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data").join(rel)
}

/// The first UPDATE of an exabgp `.ci` vector file whose hex contains `needle`, as bytes.
fn vector(file: &str, needle: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(data(file)).expect("vector file");
    let line = text
        .lines()
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.contains(":02:") && w.contains(needle))
        .expect("an UPDATE with that attribute");
    // `N:raw:MARKER:LENGTH:TYPE:BODY`
    let hex: String = line.split(':').skip(2).collect();
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

/// `msg` with the SAFI octet of its MP_REACH_NLRI (found by its `AFI SAFI` bytes) set to 2.
fn as_multicast(mut msg: Vec<u8>, afi_safi: [u8; 3]) -> Vec<u8> {
    let at = msg.windows(3).rposition(|w| w == afi_safi).expect("AFI/SAFI in the message");
    msg[at + 2] = 2;
    msg
}

fn decode(msg: &[u8]) -> Update {
    match MessageDecoder::new(SessionContext::default()).decode(msg) {
        Ok(Message::Update(u)) => u,
        other => panic!("not an UPDATE: {other:?}"),
    }
}

fn prefixes(nlri: &[Nlri]) -> Vec<String> {
    nlri.iter().map(|n| n.prefix.to_string()).collect()
}

#[test]
fn ipv4_multicast_announcement_is_a_route_of_that_family() {
    // extended-nexthop.ci: 153.153.153.153/32 over an IPv6 next hop (RFC 8950).
    let msg =
        as_multicast(vector("hex/encoding-vectors/extended-nexthop.ci", "800E1A000101"), [0, 1, 1]);
    let u = decode(&msg);
    assert!(u.errors.is_empty() && u.not_modelled.is_empty(), "{u:?}");
    assert_eq!(u.reach.len(), 1);
    let r = &u.reach[0];
    assert_eq!(r.family, AfiSafi::IPV4_MULTICAST);
    assert_eq!(prefixes(&r.nlri), ["153.153.153.153/32"]);
    assert_eq!(r.next_hop, ["bad:cafe:bad:cafe:bad:cafe:bad:cafe".parse::<IpAddr>().unwrap()]);
}

#[test]
fn ipv6_multicast_announcement_is_a_route_of_that_family() {
    let msg =
        as_multicast(vector("hex/encoding-vectors/conf-group-limit.ci", "800E26000201"), [0, 2, 1]);
    let u = decode(&msg);
    assert!(u.errors.is_empty() && u.not_modelled.is_empty(), "{u:?}");
    assert_eq!(u.reach.len(), 1);
    assert_eq!(u.reach[0].family, AfiSafi::IPV6_MULTICAST);
    assert_eq!(prefixes(&u.reach[0].nlri), ["2a02:b80:0:1::1/128"]);
}

/// The prefix of the defect report: 192.12.135.0/24 announced, then withdrawn, as SAFI 2;
/// both messages encode back to their bytes.
#[test]
fn rpf_prefix_192_12_135_0_is_announced_and_withdrawn_as_multicast() {
    let attrs_head = [0x40, 1, 1, 0, 0x40, 2, 0]; // ORIGIN IGP, empty AS_PATH (iBGP)
    let mp_reach = [0x80, 14, 13, 0, 1, 2, 4, 192, 0, 2, 1, 0, 24, 192, 12, 135];
    let mp_unreach = [0x80, 15, 7, 0, 1, 2, 24, 192, 12, 135];
    let update = |attrs: &[u8]| {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&((23 + attrs.len()) as u16).to_be_bytes());
        m.extend_from_slice(&[2, 0, 0]);
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(attrs);
        m
    };
    let announce = decode(&update(&[&attrs_head[..], &mp_reach].concat()));
    assert!(announce.errors.is_empty(), "{announce:?}");
    assert_eq!(announce.reach[0].family, AfiSafi::IPV4_MULTICAST);
    assert_eq!(prefixes(&announce.reach[0].nlri), ["192.12.135.0/24"]);
    assert_eq!(announce.reach[0].next_hop, ["192.0.2.1".parse::<IpAddr>().unwrap()]);

    let ctx = SessionContext::default();
    assert_eq!(encode_update(&announce, &ctx), update(&[&attrs_head[..], &mp_reach].concat()));

    let withdraw = decode(&update(&mp_unreach));
    assert_eq!(encode_update(&withdraw, &ctx), update(&mp_unreach));
    assert!(withdraw.errors.is_empty() && withdraw.withdrawn.is_empty(), "{withdraw:?}");
    assert_eq!(withdraw.unreach.len(), 1);
    assert_eq!(withdraw.unreach[0].family, AfiSafi::IPV4_MULTICAST);
    assert_eq!(prefixes(&withdraw.unreach[0].nlri), ["192.12.135.0/24"]);
}

#[test]
fn a_truncated_multicast_nlri_is_a_session_reset_with_its_offset() {
    let mut msg =
        as_multicast(vector("hex/encoding-vectors/conf-group-limit.ci", "800E26000201"), [0, 2, 1]);
    // Claim 128 bits in the last prefix but cut its last octet: the attribute length shrinks.
    let at = msg.windows(3).rposition(|w| w == [0, 2, 2]).unwrap();
    msg[at - 1] -= 1;
    msg.pop();
    let len = msg.len() as u16;
    msg[16..18].copy_from_slice(&len.to_be_bytes());
    let alen = u16::from_be_bytes([msg[21], msg[22]]) - 1;
    msg[21..23].copy_from_slice(&alen.to_be_bytes());
    let err = MessageDecoder::new(SessionContext::default()).decode(&msg).unwrap_err();
    assert_eq!(err.notification(), (3, 9), "{err}");
    assert_eq!(err.offset(), at - 3, "{err}");
}

/// Quagga's sample (data/mrt/daemon-samples/quagga_bgp) ends the initial exchange of its
/// multicast families with their End-of-RIB markers; every UPDATE of it decodes.
#[test]
fn quagga_sample_reports_multicast_end_of_rib() {
    let mut eor = Vec::new();
    for rec in MrtReader::open(data("mrt/daemon-samples/quagga_bgp")).expect("open") {
        let MrtBody::Message(m) = rec.expect("record").body else { continue };
        match m.message.expect("every message decodes") {
            Message::Update(u) => eor.extend(u.end_of_rib),
            _ => continue,
        }
    }
    assert!(eor.contains(&AfiSafi::IPV4_MULTICAST), "{eor:?}");
    assert!(eor.contains(&AfiSafi::IPV6_MULTICAST), "{eor:?}");
}
