use super::*;
use crate::capture::testutil::{ether, ether_tcp, ipv4, ipv4_with, ipv6, tcp};

const PSH_ACK: u8 = 0x18;

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

#[test]
fn ethernet_ipv4_tcp_with_options_yields_addresses_sequence_and_payload() {
    let frame = ether_tcp(40000, 179, 1000, PSH_ACK, b"hello");
    let seg = parse_frame(LinkType::Ethernet, &frame).unwrap();
    assert_eq!(seg.src, "192.0.2.1:40000".parse().unwrap());
    assert_eq!(seg.dst, "192.0.2.2:179".parse().unwrap());
    assert_eq!((seg.seq, seg.flags), (1000, TcpFlags(PSH_ACK)));
    assert_eq!((seg.payload, seg.payload_len), (&b"hello"[..], 5));
}

#[test]
fn ethernet_padding_and_fcs_are_not_payload() {
    let mut frame = ether_tcp(40000, 179, 1, PSH_ACK, b"");
    frame.extend_from_slice(&[0; 10]);
    let seg = parse_frame(LinkType::Ethernet, &frame).unwrap();
    assert_eq!((seg.payload, seg.payload_len), (&b""[..], 0));
}

#[test]
fn vlan_and_qinq_tags_are_skipped() {
    let ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &tcp(179, 5000, 7, 0, PSH_ACK, b"x"));
    let inner = [&[0x00, 0x64, 0x08, 0x00][..], &ip].concat();
    let outer = [&[0x00, 0x0a, 0x81, 0x00][..], &inner].concat();
    let frame = ether(0x88a8, &outer);
    let seg = parse_frame(LinkType::Ethernet, &frame).unwrap();
    assert_eq!((seg.src.port(), seg.payload), (179, &b"x"[..]));
}

#[test]
fn mpls_labels_are_skipped_to_the_bottom_of_the_stack() {
    let ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &tcp(179, 5000, 7, 0, PSH_ACK, b"m"));
    let labels = [0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40];
    let frame = ether(0x8847, &[&labels[..], &ip].concat());
    let seg = parse_frame(LinkType::Ethernet, &frame).unwrap();
    assert_eq!(seg.payload, b"m");
}

#[test]
fn ipv4_options_are_skipped() {
    let ip =
        ipv4_with([10, 0, 0, 1], [10, 0, 0, 2], 6, 0, &[1, 1, 1, 0], &tcp(179, 1, 1, 0, 0, b"o"));
    assert_eq!(parse_frame(LinkType::Raw, &ip).unwrap().payload, b"o");
}

#[test]
fn ipv4_fragments_are_counted_not_parsed() {
    let body = tcp(179, 1, 1, 0, 0, b"frag");
    let first = ipv4_with([10, 0, 0, 1], [10, 0, 0, 2], 6, 0x2000, &[], &body);
    let later = ipv4_with([10, 0, 0, 1], [10, 0, 0, 2], 6, 0x0003, &[], &body);
    assert_eq!(parse_frame(LinkType::Ipv4, &first), Err(SkipReason::IpFragment));
    assert_eq!(parse_frame(LinkType::Ipv4, &later), Err(SkipReason::IpFragment));
}

#[test]
fn ipv6_extension_headers_are_skipped_and_an_atomic_fragment_is_accepted() {
    let t = tcp(179, 2000, 5, 0, PSH_ACK, b"six");
    // Hop-by-hop (8 bytes) → fragment header, offset 0 and no more fragments → TCP.
    let hop = [44, 0, 1, 4, 0, 0, 0, 0];
    let frag = [6, 0, 0, 0, 0, 0, 0, 1];
    let packet = ipv6(v6("2001:db8::1"), v6("2001:db8::2"), 0, &[&hop[..], &frag, &t].concat());
    let seg = parse_frame(LinkType::Ipv6, &packet).unwrap();
    assert_eq!(seg.src, "[2001:db8::1]:179".parse().unwrap());
    assert_eq!((seg.payload, seg.payload_len), (&b"six"[..], 3));
}

#[test]
fn ipv6_fragments_are_counted_not_parsed() {
    let t = tcp(179, 2000, 5, 0, PSH_ACK, b"six");
    let frag = [6, 0, 0, 1, 0, 0, 0, 1];
    let packet = ipv6(v6("2001:db8::1"), v6("2001:db8::2"), 44, &[&frag[..], &t].concat());
    assert_eq!(parse_frame(LinkType::Raw, &packet), Err(SkipReason::IpFragment));
}

#[test]
fn frames_that_are_not_tcp_say_why() {
    let udp = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &[0; 8]);
    assert_eq!(parse_frame(LinkType::Raw, &udp), Err(SkipReason::NotTcp));
    assert_eq!(parse_frame(LinkType::Ethernet, &ether(0x0806, &[0; 28])), Err(SkipReason::NotIp));
    assert_eq!(parse_frame(LinkType::Other(147), &udp), Err(SkipReason::UnsupportedLinkType));
    assert_eq!(parse_frame(LinkType::Raw, &[0x50; 40]), Err(SkipReason::MalformedIp));
}

#[test]
fn cut_and_inconsistent_headers_are_told_apart() {
    let frame = ether_tcp(1, 179, 1, 0, b"");
    assert_eq!(parse_frame(LinkType::Ethernet, &frame[..40]), Err(SkipReason::Truncated));
    let mut bad_offset = frame.clone();
    bad_offset[14 + 20 + 12] = 0x40;
    assert_eq!(parse_frame(LinkType::Ethernet, &bad_offset), Err(SkipReason::MalformedTcp));
}

#[test]
fn a_snapped_frame_keeps_the_wire_length_of_its_payload() {
    let frame = ether_tcp(1, 179, 1, PSH_ACK, &[7; 100]);
    let seg = parse_frame(LinkType::Ethernet, &frame[..frame.len() - 60]).unwrap();
    assert_eq!((seg.payload.len(), seg.payload_len), (40, 100));
}

#[test]
fn linux_cooked_headers_give_direction_and_ifindex() {
    let ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &tcp(179, 1, 1, 0, 0, b"c"));
    let mut sll = vec![0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 8, 0];
    sll.extend_from_slice(&ip);
    let seg = parse_frame(LinkType::LinuxSll, &sll).unwrap();
    assert_eq!((seg.direction, seg.payload), (Some(Direction::Egress), &b"c"[..]));

    let mut sll2 = vec![8, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0];
    sll2.extend_from_slice(&ip);
    let seg = parse_frame(LinkType::LinuxSll2, &sll2).unwrap();
    assert_eq!((seg.direction, seg.ifindex), (Some(Direction::Ingress), Some(7)));
}

#[test]
fn loopback_ppp_hdlc_and_juniper_headers_are_understood() {
    let ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &tcp(179, 1, 1, 0, 0, b"l"));
    let ok =
        |link, head: &[u8]| parse_frame(link, &[head, &ip].concat()).map(|s| s.payload.to_vec());
    assert_eq!(ok(LinkType::Null, &[2, 0, 0, 0]), Ok(b"l".to_vec()));
    assert_eq!(ok(LinkType::Null, &[0, 0, 0, 2]), Ok(b"l".to_vec()));
    assert_eq!(ok(LinkType::Loop, &[0, 0, 0, 2]), Ok(b"l".to_vec()));
    assert_eq!(ok(LinkType::Ppp, &[0xff, 0x03, 0x00, 0x21]), Ok(b"l".to_vec()));
    assert_eq!(ok(LinkType::Ppp, &[0x21]), Ok(b"l".to_vec()));
    assert_eq!(ok(LinkType::CiscoHdlc, &[0x0f, 0x00, 0x08, 0x00]), Ok(b"l".to_vec()));
    let juniper = [&b"MGC"[..], &[0x81, 0, 2, 9, 9], &ether(0x0800, &[])[..14]].concat();
    let frame = [&juniper[..], &ip].concat();
    let seg = parse_frame(LinkType::JuniperEther, &frame).unwrap();
    assert_eq!((seg.direction, seg.payload), (Some(Direction::Ingress), &b"l"[..]));
}

#[test]
fn link_type_numbers_map_to_parsers_ignoring_fcs_bits() {
    assert_eq!(LinkType::from_number(1), LinkType::Ethernet);
    assert_eq!(LinkType::from_number(0x1000_0001), LinkType::Ethernet);
    assert_eq!(LinkType::from_number(101), LinkType::Raw);
    assert_eq!(LinkType::from_number(276), LinkType::LinuxSll2);
    assert_eq!(LinkType::from_number(147), LinkType::Other(147));
}
