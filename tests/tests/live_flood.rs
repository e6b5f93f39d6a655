//! The live pipeline after a SYN flood, as root: 100,000 SYNs to port 179 from distinct
//! ports, sent through a veth with a raw socket in a namespace of the test's own, fill the
//! flow table past its 65,536 flows; a real session that follows must still be seen whole,
//! and the junk flows evicted to make room must be counted.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use bgpstorm_monitor::capture::live::{LiveCapture, LiveConfig};
use bgpstorm_monitor::reassembly::Flow;
use bgpstorm_monitor::stream::{LiveStream, StreamItem};
use bgpstorm_tests::bgp;
use bgpstorm_tests::lab::{VethPair, ip, require_root};
use bgpstorm_wire::Message;
use tokio::time::{Instant, timeout_at};

const FLOOD: u32 = 100_000;
const DEADLINE: Duration = Duration::from_secs(120);
/// Addresses on the veth's subnet that no host answers for (a static neighbour sends their
/// frames out; nothing replies, so each SYN stays a half-open flow).
const JUNK_DST: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 179, 0, 3), Ipv4Addr::new(10, 179, 0, 4)];

/// An IPv4 + TCP SYN (checksums left 0: the capture does not check them).
fn syn(src: Ipv4Addr, sport: u16, dst: Ipv4Addr) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&179u16.to_be_bytes());
    p.extend_from_slice(&u32::from(sport).wrapping_mul(2_654_435_761).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    p
}

/// Sends the flood from namespace a through a raw IPv4 socket.
fn flood(pair: &VethPair) {
    for (i, dst) in JUNK_DST.iter().enumerate() {
        let mac = format!("02:00:00:00:00:0{}", i + 3);
        ip(
            pair.netns_a(),
            &["neigh", "replace", &dst.to_string(), "lladdr", &mac, "dev", VethPair::IF_A],
        )
        .expect("static neighbour");
    }
    let fd = pair
        .netns_a()
        .run(|| {
            // SAFETY: socket has no memory preconditions; the result is checked.
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_RAW) };
            assert!(fd >= 0, "raw socket: {}", std::io::Error::last_os_error());
            // SAFETY: fd is a fresh descriptor owned by nobody else.
            unsafe { OwnedFd::from_raw_fd(fd) }
        })
        .expect("enter namespace a");
    let src = Ipv4Addr::new(10, 179, 0, 1);
    for n in 0..FLOOD {
        let dst = JUNK_DST[(n % 2) as usize];
        let pkt = syn(src, 1024 + (n / 2) as u16, dst);
        // SAFETY: a zeroed sockaddr_in is valid; its fields are set below.
        let mut to: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        to.sin_family = libc::AF_INET as libc::sa_family_t;
        to.sin_addr.s_addr = u32::from_ne_bytes(dst.octets());
        // SAFETY: pkt and to outlive the call; the lengths are theirs.
        let r = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                pkt.as_ptr().cast(),
                pkt.len(),
                0,
                (&raw const to).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        assert_eq!(r, pkt.len() as isize, "sendto: {}", std::io::Error::last_os_error());
    }
}

/// A BGP session from a to b: each side sends OPEN, KEEPALIVE and (a only) `routes` routes,
/// then half-closes and reads the other side to its end.
fn session(pair: &VethPair, routes: u32) -> Flow {
    let addr = SocketAddr::new(pair.addr_b(false), 179);
    let listener = pair.listen_b(addr).expect("listen in namespace b");
    let (mut client, mut server) = pair.connect_a(&listener, addr).expect("connect from a");
    let flow = Flow { src: client.local_addr().unwrap(), dst: addr };
    let mut a = vec![bgp::open(65001, Ipv4Addr::new(10, 0, 0, 1)), bgp::keepalive()];
    a.extend(bgp::updates(65001, Ipv4Addr::new(100, 0, 0, 0), routes, 100));
    let b = [bgp::open(65002, Ipv4Addr::new(10, 0, 0, 2)), bgp::keepalive()].concat();
    let peer = std::thread::spawn(move || {
        use std::io::{Read, Write};
        server.write_all(&b)?;
        server.shutdown(std::net::Shutdown::Write)?;
        let mut got = Vec::new();
        server.read_to_end(&mut got).map(|_| got.len())
    });
    use std::io::{Read, Write};
    client.write_all(&a.concat()).unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    client.read_to_end(&mut got).unwrap();
    assert_eq!(peer.join().unwrap().unwrap(), a.concat().len(), "TCP itself lost bytes");
    flow
}

#[test]
fn a_session_after_a_flood_of_100000_syns_is_seen_whole() {
    require_root();
    let pair = VethPair::new().expect("namespaces and veth pair");
    let cfg = LiveConfig {
        peers: vec!["10.179.0.0/24".parse().unwrap()],
        ring_bytes: 64 << 20,
        ..LiveConfig::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut stream = {
        let _rt = rt.enter();
        let cap = LiveCapture::open(pair.netns_a(), &[VethPair::IF_A], &cfg).expect("attach");
        LiveStream::new(cap, Default::default())
    };
    let routes = 10_000;
    let peer = SocketAddr::new(pair.addr_b(false), 179);
    let of_session = |f: Flow| f.src == peer || f.dst == peer;
    std::thread::scope(|s| {
        let sent = s.spawn(|| {
            flood(&pair);
            session(&pair, routes)
        });
        let mut items = Vec::new();
        let (mut opened, mut announced, mut closed) = (0u64, 0u64, 0);
        let deadline = Instant::now() + DEADLINE;
        while closed < 2 {
            let r =
                rt.block_on(async { timeout_at(deadline, stream.next_items(&mut items)).await });
            let stats = stream.stats().map(|(l, d)| format!("{l}{d}")).unwrap_or_default();
            r.unwrap_or_else(|_| panic!("session not seen whole in {DEADLINE:?}\n{stats}"))
                .expect("reading the ring buffer");
            for item in items.drain(..) {
                match item {
                    StreamItem::Opened { .. } => opened += 1,
                    StreamItem::Message(m) if of_session(m.flow) => {
                        if let Ok(Message::Update(u)) = &m.message {
                            announced += u.announced_count() as u64;
                        }
                    }
                    StreamItem::Closed { flow, .. } if of_session(flow) => closed += 1,
                    _ => {}
                }
            }
        }
        let flow = sent.join().expect("flood and session");
        assert!(opened > 65_536, "the flood filled the table: {opened} flows opened");
        assert_eq!(announced, u64::from(routes), "every route of {flow}");
    });
    let (live, decode) = stream.stats().expect("stats");
    assert_eq!(live.drops(), 0, "capture drops:\n{live}");
    assert!(decode.reassembly.evicted_half_open > 0, "{decode}");
    assert_eq!(decode.reassembly.evicted_established, 0, "{decode}");
}
