//! `bgpdump -m` compatible pipe output: one line per route, `|`-separated, as scripts that
//! parse RIPE's bgpdump expect. Debian's bgpdump 1.6.2 is the reference.
//!
//! ```text
//! BGP4MP|ts|A|peer_ip|peer_as|prefix|as_path|origin|next_hop|local_pref|med|communities|AG|aggregator|
//! BGP4MP|ts|W|peer_ip|peer_as|prefix
//! BGP4MP|ts|STATE|peer_ip|peer_as|old_state|new_state
//! TABLE_DUMP2|ts|B|peer_ip|peer_as|prefix|as_path|origin|next_hop|local_pref|med|communities|AG|aggregator|
//! TABLE_DUMP|ts|B|...same as TABLE_DUMP2...
//! ```
//!
//! How bgpdump fills the fields, and so how we do:
//! - labels: `BGP4MP`, `BGP4MP_ET` (microsecond timestamp `ts.uuuuuu`), `_LOCAL` for messages
//!   the collector sent, `_AP` for the ADD-PATH subtypes; `TABLE_DUMP2_AP` for ADD-PATH RIBs;
//!   `BGP` for the deprecated BGP type (5) of the 1999–2000 archives.
//!   With ADD-PATH a path-identifier column follows the prefix (in A, W and B lines).
//! - a missing ORIGIN prints `INCOMPLETE`; missing AS_PATH, communities and aggregator print
//!   nothing; missing LOCAL_PREF and MED print `0`; ATOMIC_AGGREGATE prints `AG`, else `NAG`.
//! - AS_PATH: sequences space separated, `{a,b}` sets, `(a b)` confederation sequences,
//!   `[a,b]` confederation sets. Only standard communities are printed (large and extended
//!   communities are not), with `no-export`, `no-advertise` and `local-AS` by name.
//! - next hop: the NEXT_HOP attribute for IPv4 NLRI, the MP_REACH_NLRI next hop for MP-BGP
//!   (for IPv6 the global address only); `255.255.255.255` when there is none.
//! - IPv6 addresses as bgpdump writes them: the longest run of zero groups is compressed even
//!   when it is a single group, and IPv4-mapped / IPv4-compatible addresses end in dotted quad.
//! - the aggregator is printed `asn address` unless its address is 255.255.255.255.
//! - in an UPDATE, withdrawals come first, then announcements, in NLRI order.
//!
//! Where we differ from bgpdump on purpose (the comparison with bgpdump, and the lines it
//! excludes, are in `tests/tests/mrt.rs` and `tests/tests/mrt_synthetic.rs`):
//! - UPDATEs of an ADD-PATH session stored under a subtype without ADD-PATH (BIRD 1.6 does
//!   this) are read with the path identifiers the peer's OPEN offered and printed as
//!   `BGP4MP_AP` lines; bgpdump reads the identifiers as prefixes and invents routes.
//! - a message the wire layer rejects prints nothing, and RFC 7606 treat-as-withdraw turns
//!   its announcements into W lines; bgpdump prints whatever it could guess.
//! - a RIB entry without NEXT_HOP but with an IPv4 MP_REACH_NLRI next hop prints that next
//!   hop, where bgpdump prints 255.255.255.255.
//! - A lines of the deprecated BGP type (5) have the same 15 fields as BGP4MP ones; bgpdump
//!   1.6.2 drops the `|` between the MED and the communities there (`|0|0174:100 ...|`, and
//!   `|0|NAG||` without communities), so its lines have 14.
//! - families outside the model are not printed (IPv4 and IPv6 multicast, SAFI 2, are in
//!   it and print A/W lines as bgpdump's); AS paths are never cut short (bgpdump ends paths
//!   longer than about 7,900 characters with `...`).

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bgpstorm_wire::Update;
use bgpstorm_wire::message::Message;
use bgpstorm_wire::model::{Nlri, Origin, PathAttributes, SegmentKind};
use bgpstorm_wire::mrt::{MrtBody, MrtRecord, MrtType, Rib, RibRoute, TableDumpEntry};
use ipnet::IpNet;

/// A line's timestamp: seconds, and microseconds when the source has them (printed
/// `seconds.uuuuuu`, as bgpdump does for BGP4MP_ET).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: u64,
    /// Microseconds within the second.
    pub microseconds: Option<u32>,
}

impl Timestamp {
    /// Whole seconds.
    pub fn seconds(seconds: u64) -> Self {
        Self { seconds, microseconds: None }
    }
}

/// bgpdump's value for an absent IPv4 next hop or aggregator address (INADDR_NONE).
const NONE_V4: Ipv4Addr = Ipv4Addr::BROADCAST;

/// Writes the pipe lines of one MRT record: A/W lines for an UPDATE, a STATE line for a
/// state change, B lines for RIB entries. Other records (OPEN, KEEPALIVE, NOTIFICATION,
/// peer index tables, records not modelled or with errors) print nothing.
pub fn write_record<W: Write>(out: &mut W, record: &MrtRecord) -> io::Result<()> {
    let header = &record.header;
    let et = header.kind() == MrtType::Bgp4mpEt;
    // The deprecated BGP type (5) is labelled `BGP`, as bgpdump labels it.
    let legacy = header.kind() == MrtType::Bgp;
    let time = Timestamp {
        seconds: u64::from(header.timestamp),
        microseconds: if et { header.microseconds } else { None },
    };
    match &record.body {
        MrtBody::Message(m) => {
            let Ok(Message::Update(update)) = &m.message else { return Ok(()) };
            let label = match (et, m.is_local(), m.add_path) {
                _ if legacy => "BGP",
                (false, false, false) => "BGP4MP",
                (false, false, true) => "BGP4MP_AP",
                (false, true, false) => "BGP4MP_LOCAL",
                (false, true, true) => "BGP4MP_LOCAL_AP",
                (true, false, false) => "BGP4MP_ET",
                (true, false, true) => "BGP4MP_ET_AP",
                (true, true, false) => "BGP4MP_ET_LOCAL",
                (true, true, true) => "BGP4MP_ET_LOCAL_AP",
            };
            write_update(out, label, time, m.peer_ip, m.peer_asn, update)
        }
        MrtBody::StateChange(s) => {
            let mut line = Vec::with_capacity(64);
            let label = match (legacy, et) {
                (true, _) => "BGP",
                (false, true) => "BGP4MP_ET",
                (false, false) => "BGP4MP",
            };
            line_head(&mut line, label, time, "STATE");
            ip(&mut line, s.peer_ip);
            line.push(b'|');
            int(&mut line, s.peer_asn);
            line.push(b'|');
            int(&mut line, s.old_state);
            line.push(b'|');
            int(&mut line, s.new_state);
            line.push(b'\n');
            out.write_all(&line)
        }
        MrtBody::Rib(rib) => write_rib(out, time, rib),
        MrtBody::TableDump(entry) => write_table_dump(out, time, entry),
        MrtBody::PeerIndexTable(_) | MrtBody::NotModelled(_) => Ok(()),
    }
}

/// Writes the W lines, then the A lines, of one UPDATE received from `peer_ip`/`peer_asn`
/// (also the entry point for pcap input: `label` is usually `"BGP4MP"`, `time` the capture
/// time, the peer the message's sender). Prefixes with an ADD-PATH identifier get the
/// path-identifier column.
pub fn write_update<W: Write>(
    out: &mut W,
    label: &str,
    time: Timestamp,
    peer_ip: IpAddr,
    peer_asn: u32,
    update: &Update,
) -> io::Result<()> {
    let mut head = Vec::with_capacity(64);
    let mut line = Vec::with_capacity(256);
    let multicast = update.unreach.iter().flat_map(|u| &u.nlri);
    if !update.withdrawn.is_empty() || !update.unreach.is_empty() {
        peer_head(&mut head, label, time, "W", peer_ip, peer_asn);
        for n in update.withdrawn.iter().chain(multicast) {
            line.clear();
            line.extend_from_slice(&head);
            nlri(&mut line, n);
            line.push(b'\n');
            out.write_all(&line)?;
        }
    }
    if update.reach.iter().all(|r| r.nlri.is_empty()) {
        return Ok(());
    }
    peer_head(&mut head, label, time, "A", peer_ip, peer_asn);
    let mut tail = Vec::with_capacity(192);
    for reach in update.reach.iter().filter(|r| !r.nlri.is_empty()) {
        tail.clear();
        route_tail(&mut tail, &update.attributes, reach.next_hop.first().copied());
        for n in &reach.nlri {
            line.clear();
            line.extend_from_slice(&head);
            nlri(&mut line, n);
            line.extend_from_slice(&tail);
            out.write_all(&line)?;
        }
    }
    Ok(())
}

/// B lines of a TABLE_DUMP_V2 RIB record, one per entry whose attributes could be decoded.
fn write_rib<W: Write>(out: &mut W, time: Timestamp, rib: &Rib) -> io::Result<()> {
    let label = if rib.add_path { "TABLE_DUMP2_AP" } else { "TABLE_DUMP2" };
    let mut line = Vec::with_capacity(256);
    for entry in &rib.entries {
        let Ok(route) = &entry.route else { continue };
        line.clear();
        peer_head(&mut line, label, time, "B", entry.peer.ip, entry.peer.asn);
        prefix(&mut line, rib.prefix);
        if let Some(id) = entry.path_id.filter(|_| rib.add_path) {
            line.push(b'|');
            int(&mut line, id);
        }
        route_tail(&mut line, &route.attributes, rib_next_hop(route));
        out.write_all(&line)?;
    }
    Ok(())
}

/// The B line of a legacy TABLE_DUMP entry.
fn write_table_dump<W: Write>(
    out: &mut W,
    time: Timestamp,
    entry: &TableDumpEntry,
) -> io::Result<()> {
    let Ok(route) = &entry.route else { return Ok(()) };
    let mut line = Vec::with_capacity(256);
    peer_head(&mut line, "TABLE_DUMP", time, "B", entry.peer_ip, entry.peer_asn);
    prefix(&mut line, entry.prefix);
    route_tail(&mut line, &route.attributes, rib_next_hop(route));
    out.write_all(&line)
}

/// bgpdump prints an IPv6 MP_REACH_NLRI next hop when there is one, else NEXT_HOP. We fall
/// back to an IPv4 MP_REACH_NLRI next hop where bgpdump would print 255.255.255.255.
fn rib_next_hop(route: &RibRoute) -> Option<IpAddr> {
    let mp = route.next_hop.first().copied().filter(|_| route.mp_next_hop);
    match (mp, route.attributes.next_hop) {
        (Some(v6 @ IpAddr::V6(_)), _) => Some(v6),
        (_, Some(v4)) => Some(IpAddr::V4(v4)),
        (mp, None) => mp,
    }
}

/// `label|time|kind|`
fn line_head(buf: &mut Vec<u8>, label: &str, time: Timestamp, kind: &str) {
    buf.extend_from_slice(label.as_bytes());
    buf.push(b'|');
    int(buf, time.seconds);
    if let Some(us) = time.microseconds {
        // bgpdump: "%s.%06ld".
        let mut digits = itoa::Buffer::new();
        let d = digits.format(us);
        buf.push(b'.');
        buf.extend(std::iter::repeat_n(b'0', 6usize.saturating_sub(d.len())));
        buf.extend_from_slice(d.as_bytes());
    }
    buf.push(b'|');
    buf.extend_from_slice(kind.as_bytes());
    buf.push(b'|');
}

/// `label|time|kind|peer_ip|peer_as|`, replacing what `buf` held.
fn peer_head(
    buf: &mut Vec<u8>,
    label: &str,
    time: Timestamp,
    kind: &str,
    peer_ip: IpAddr,
    peer_asn: u32,
) {
    buf.clear();
    line_head(buf, label, time, kind);
    ip(buf, peer_ip);
    buf.push(b'|');
    int(buf, peer_asn);
    buf.push(b'|');
}

/// `prefix` or `prefix|path_id`.
fn nlri(buf: &mut Vec<u8>, n: &Nlri) {
    prefix(buf, n.prefix);
    if let Some(id) = n.path_id {
        buf.push(b'|');
        int(buf, id);
    }
}

/// `|as_path|origin|next_hop|local_pref|med|communities|AG|aggregator|\n`
fn route_tail(buf: &mut Vec<u8>, a: &PathAttributes, next_hop: Option<IpAddr>) {
    buf.push(b'|');
    if let Some(path) = &a.as_path {
        as_path(buf, path);
    }
    buf.push(b'|');
    buf.extend_from_slice(match a.origin {
        Some(Origin::Igp) => b"IGP".as_slice(),
        Some(Origin::Egp) => b"EGP",
        Some(Origin::Incomplete) | None => b"INCOMPLETE",
    });
    buf.push(b'|');
    ip(buf, next_hop.unwrap_or(IpAddr::V4(NONE_V4)));
    buf.push(b'|');
    int(buf, a.local_pref.unwrap_or(0));
    buf.push(b'|');
    int(buf, a.med.unwrap_or(0));
    buf.push(b'|');
    for (i, c) in a.communities.iter().enumerate() {
        if i > 0 {
            buf.push(b' ');
        }
        match c.0 {
            0xFFFF_FF01 => buf.extend_from_slice(b"no-export"),
            0xFFFF_FF02 => buf.extend_from_slice(b"no-advertise"),
            0xFFFF_FF03 => buf.extend_from_slice(b"local-AS"),
            v => {
                int(buf, v >> 16);
                buf.push(b':');
                int(buf, v & 0xffff);
            }
        }
    }
    buf.push(b'|');
    buf.extend_from_slice(if a.atomic_aggregate { b"AG" } else { b"NAG" });
    buf.push(b'|');
    if let Some(agg) = a.aggregator.filter(|g| g.address != NONE_V4) {
        int(buf, agg.asn);
        buf.push(b' ');
        ipv4(buf, agg.address);
    }
    buf.extend_from_slice(b"|\n");
}

/// AS_PATH as bgpdump's `process_attr_aspath_string` writes it.
fn as_path(buf: &mut Vec<u8>, path: &bgpstorm_wire::model::AsPath) {
    fn delimiters(kind: SegmentKind) -> (u8, u8, u8) {
        match kind {
            SegmentKind::Sequence => (b' ', b' ', b' '),
            SegmentKind::Set => (b'{', b'}', b','),
            SegmentKind::ConfedSequence => (b'(', b')', b' '),
            SegmentKind::ConfedSet => (b'[', b']', b','),
        }
    }
    let mut previous = SegmentKind::Sequence;
    let mut space = false;
    for seg in &path.segments {
        let (open, _, sep) = delimiters(seg.kind);
        if previous != SegmentKind::Sequence {
            buf.push(delimiters(previous).1);
        }
        if space {
            buf.push(b' ');
        }
        if seg.kind != SegmentKind::Sequence {
            buf.push(open);
        }
        space = false;
        for &asn in &seg.asns {
            if space {
                buf.push(sep);
            }
            space = true;
            int(buf, asn);
        }
        previous = seg.kind;
    }
    if previous != SegmentKind::Sequence {
        buf.push(delimiters(previous).1);
    }
}

fn int(buf: &mut Vec<u8>, v: impl itoa::Integer) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn prefix(buf: &mut Vec<u8>, p: IpNet) {
    ip(buf, p.addr());
    buf.push(b'/');
    int(buf, p.prefix_len());
}

fn ip(buf: &mut Vec<u8>, a: IpAddr) {
    match a {
        IpAddr::V4(v4) => ipv4(buf, v4),
        IpAddr::V6(v6) => ipv6(buf, v6),
    }
}

fn ipv4(buf: &mut Vec<u8>, a: Ipv4Addr) {
    for (i, o) in a.octets().into_iter().enumerate() {
        if i > 0 {
            buf.push(b'.');
        }
        int(buf, o);
    }
}

/// bgpdump's `fmt_ipv6`: IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`,
/// last 32 bits > 1) in dotted form; otherwise lower-case groups without leading zeros and
/// the first longest run of zero groups, even a single one, written `::`.
fn ipv6(buf: &mut Vec<u8>, a: Ipv6Addr) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let g = a.segments();
    let o = a.octets();
    let tail = u32::from_be_bytes([o[12], o[13], o[14], o[15]]);
    if g[..5].iter().all(|&x| x == 0) && (g[5] == 0xffff || g[5] == 0 && tail > 1) {
        buf.extend_from_slice(if g[5] == 0xffff { b"::ffff:".as_slice() } else { b"::" });
        ipv4(buf, Ipv4Addr::from(tail));
        return;
    }
    let (mut best, mut best_len, mut run) = (usize::MAX, 0, 0);
    for i in (0..8).rev() {
        run = if g[i] == 0 { run + 1 } else { 0 };
        if run >= best_len && run > 0 {
            (best, best_len) = (i, run);
        }
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            buf.extend_from_slice(if i == 0 { b"::".as_slice() } else { b":" });
            i += best_len;
            continue;
        }
        let x = g[i];
        let mut started = false;
        for shift in [12, 8, 4, 0] {
            let nibble = (x >> shift) & 0xf;
            if started || nibble != 0 || shift == 0 {
                buf.push(HEX[nibble as usize]);
                started = true;
            }
        }
        if i != 7 {
            buf.push(b':');
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> String {
        let mut b = Vec::new();
        ipv6(&mut b, s.parse().unwrap());
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn write_update_prints_withdrawals_then_announcements() {
        use bgpstorm_wire::context::AfiSafi;
        use bgpstorm_wire::model::{AsPath, Community, Reach};
        let nlri = |p: &str, path_id| Nlri { prefix: p.parse().unwrap(), path_id };
        let update = Update {
            withdrawn: vec![nlri("10.0.0.0/8", None), nlri("2001:db8::/32", Some(3))],
            reach: vec![Reach {
                family: AfiSafi::IPV6_UNICAST,
                next_hop: vec!["2001:db8::1".parse().unwrap(), "fe80::1".parse().unwrap()],
                nlri: vec![nlri("2001:db8:1::/48", Some(7))],
            }],
            attributes: PathAttributes {
                origin: Some(Origin::Egp),
                as_path: Some(AsPath::sequence([65001, 4_200_000_000])),
                local_pref: Some(100),
                communities: vec![Community(0xFFFF_FF01), Community(65001 << 16 | 7)],
                ..PathAttributes::default()
            },
            ..Update::default()
        };
        let time = Timestamp { seconds: 1_546_300_800, microseconds: Some(42) };
        let mut out = Vec::new();
        write_update(&mut out, "BGP4MP", time, "192.0.2.1".parse().unwrap(), 65001, &update)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "BGP4MP|1546300800.000042|W|192.0.2.1|65001|10.0.0.0/8\n\
             BGP4MP|1546300800.000042|W|192.0.2.1|65001|2001:db8::/32|3\n\
             BGP4MP|1546300800.000042|A|192.0.2.1|65001|2001:db8:1::/48|7|65001 4200000000|EGP|\
             2001:db8::1|100|0|no-export 65001:7|NAG||\n"
        );
    }

    #[test]
    fn ipv6_is_written_as_bgpdump_writes_it() {
        for (input, expected) in [
            ("fe80::", "fe80::"),
            ("2001:db8::1", "2001:db8::1"),
            ("::ffff:192.168.2.1", "::ffff:192.168.2.1"),
            ("::192.168.1.2", "::192.168.1.2"),
            ("2001:7f8:30::2:1:0:8447", "2001:7f8:30::2:1:0:8447"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8::1:1:1:1:1"),
            ("2001:db8:0:1::10", "2001:db8:0:1::10"),
            ("c0a8:10a::", "c0a8:10a::"),
            ("::", "::"),
            ("::1", "::1"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
        ] {
            assert_eq!(v6(input), expected, "{input}");
        }
    }
}
