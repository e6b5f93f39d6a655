//! Frames the kernel's own TCP stack does not send on a veth, written by hand through a raw
//! AF_PACKET socket on side a (they cross its TC egress hook like any frame): an in-band
//! 802.1Q tag, an IPv6 extension header, an IPv4 fragment. The program must parse the first
//! two and count the third as unparsed, never skip it silently.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use bgpstorm_monitor::capture::live::{LiveCapture, LiveConfig};
use bgpstorm_monitor::capture::{CaptureEvent, Direction, TcpFlags};
use bgpstorm_tests::bgp;
use bgpstorm_tests::lab::{VethPair, require_root};

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_8021Q: u16 = 0x8100;
const PSH_ACK: u8 = 0x18;

/// A TCP header (RFC 9293 §3.1), checksum left 0: nobody receives these frames.
fn tcp(sport: u16, dport: u16, seq: u32, flags: u8) -> Vec<u8> {
    let mut t = Vec::with_capacity(20);
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&[5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t
}

/// An IPv4 header (RFC 791) for `len` bytes after it, with the fragment field `frag`.
fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, len: usize, frag: u16) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&(20 + len as u16).to_be_bytes());
    h.extend_from_slice(&[0, 1]);
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[64, 6, 0, 0]);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    h
}

/// An IPv6 header (RFC 8200) then a hop-by-hop options header (PadN only) before TCP.
fn ipv6_hbh(src: Ipv6Addr, dst: Ipv6Addr, len: usize) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(8 + len as u16).to_be_bytes());
    h.extend_from_slice(&[0, 64]); // next header: hop-by-hop options
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    h.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]); // next: TCP; PadN of 4
    h
}

fn ethernet(ethertype: u16) -> Vec<u8> {
    let mut e = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    e.extend_from_slice(&ethertype.to_be_bytes());
    e
}

/// Sends `frame` out of `ifindex` with `protocol` as the skb's protocol (sll_protocol).
fn send_raw(fd: i32, ifindex: u32, protocol: u16, frame: &[u8]) {
    // SAFETY: a zeroed sockaddr_ll is valid; the fields set below are plain integers.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = protocol.to_be();
    sll.sll_ifindex = ifindex as i32;
    sll.sll_halen = 6;
    sll.sll_addr[..6].copy_from_slice(&frame[..6]);
    // SAFETY: frame and sll are valid for the lengths given.
    let n = unsafe {
        libc::sendto(
            fd,
            frame.as_ptr().cast(),
            frame.len(),
            0,
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    assert_eq!(n, frame.len() as isize, "sendto: {}", std::io::Error::last_os_error());
}

#[tokio::test]
async fn vlan_tags_and_ipv6_extension_headers_are_parsed_and_fragments_counted() {
    require_root();
    let pair = VethPair::new().expect("namespaces and veth pair");
    let mut cap = LiveCapture::open(pair.netns_a(), &[VethPair::IF_A], &LiveConfig::default())
        .expect("attach");
    let ifindex = cap.attachments()[0].ifindex;
    // The socket is created in namespace a; it stays there whichever thread uses it.
    let fd = pair
        .netns_a()
        .run(|| unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) })
        .expect("enter namespace a");
    assert!(fd >= 0, "AF_PACKET socket: {}", std::io::Error::last_os_error());
    let (a4, b4) = (Ipv4Addr::new(10, 179, 0, 1), Ipv4Addr::new(10, 179, 0, 2));
    let (a6, b6): (Ipv6Addr, Ipv6Addr) =
        ("fd00:179::1".parse().unwrap(), "fd00:179::2".parse().unwrap());
    let ka = bgp::keepalive();

    // 1. An IPv4 fragment (MF set) of a segment to port 179: not parsed, counted.
    let mut frag = ethernet(ETH_P_IP);
    frag.extend(ipv4(a4, b4, 20 + ka.len(), 0x2000));
    frag.extend(tcp(40001, 179, 7, PSH_ACK));
    frag.extend_from_slice(&ka);
    send_raw(fd, ifindex, ETH_P_IP, &frag);
    // 2. The same segment, whole, behind an in-band 802.1Q tag (VLAN 100).
    let mut vlan = ethernet(ETH_P_8021Q);
    vlan.extend_from_slice(&[0, 100, 0x08, 0x00]);
    vlan.extend(ipv4(a4, b4, 20 + ka.len(), 0));
    vlan.extend(tcp(40000, 179, 1000, PSH_ACK));
    vlan.extend_from_slice(&ka);
    send_raw(fd, ifindex, ETH_P_8021Q, &vlan);
    // 3. IPv6 with a hop-by-hop options header before TCP.
    let mut v6 = ethernet(ETH_P_IPV6);
    v6.extend(ipv6_hbh(a6, b6, 20 + ka.len()));
    v6.extend(tcp(40002, 179, 2000, PSH_ACK));
    v6.extend_from_slice(&ka);
    send_raw(fd, ifindex, ETH_P_IPV6, &v6);
    // SAFETY: our own descriptor, closed once.
    unsafe { libc::close(fd) };

    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events.len() < 2 {
        tokio::time::timeout_at(deadline, cap.next_batch(&mut events, 16))
            .await
            .unwrap_or_else(|_| panic!("only {} of 2 crafted segments captured", events.len()))
            .expect("ring buffer");
    }
    let expect = |src: SocketAddr, dst: SocketAddr, seq: u32| CaptureEvent {
        ts_ns: 0,
        ifindex,
        direction: Some(Direction::Egress),
        src,
        dst,
        seq,
        ack: 0,
        flags: TcpFlags(PSH_ACK),
        payload: ka.clone(),
        payload_len: ka.len() as u32,
    };
    let got: Vec<CaptureEvent> =
        events.into_iter().map(|e| CaptureEvent { ts_ns: 0, ..e }).collect();
    assert_eq!(
        got,
        [
            expect(SocketAddr::new(a4.into(), 40000), SocketAddr::new(b4.into(), 179), 1000),
            expect(SocketAddr::new(a6.into(), 40002), SocketAddr::new(b6.into(), 179), 2000),
        ]
    );
    let k = cap.kernel_counters().expect("counters");
    assert_eq!(k.unparsed, 1, "the IPv4 fragment: {k:?}");
    assert_eq!((k.segments, k.records), (2, 2), "{k:?}");
}
