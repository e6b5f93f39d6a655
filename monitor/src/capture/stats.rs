//! Counters of a capture source: every frame is either a TCP segment or counted by reason.

use serde::{Serialize, Serializer};
use std::fmt;

/// Why a frame did not yield a TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// A link type the reader does not parse (the number is in [`CaptureStats::unsupported_link`]).
    UnsupportedLinkType,
    /// The link layer carries something other than IPv4/IPv6 (ARP, LLDP, STP, ...).
    NotIp,
    /// IP, but not TCP (UDP, ICMP, OSPF, ESP, ...).
    NotTcp,
    /// An IPv4 or IPv6 fragment: TCP over fragments is not reassembled.
    IpFragment,
    /// The frame ends inside the link, IP or TCP header (snap length or corrupt file).
    Truncated,
    /// The IP header is inconsistent (version, header length, total length).
    MalformedIp,
    /// The TCP header is inconsistent (data offset).
    MalformedTcp,
}

impl SkipReason {
    /// Every reason, in the order [`CaptureStats`] prints them.
    pub const ALL: [SkipReason; 7] = [
        Self::UnsupportedLinkType,
        Self::NotIp,
        Self::NotTcp,
        Self::IpFragment,
        Self::Truncated,
        Self::MalformedIp,
        Self::MalformedTcp,
    ];

    /// A short stable name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::UnsupportedLinkType => "unsupported-link-type",
            Self::NotIp => "not-ip",
            Self::NotTcp => "not-tcp",
            Self::IpFragment => "ip-fragment",
            Self::Truncated => "truncated-frame",
            Self::MalformedIp => "malformed-ip",
            Self::MalformedTcp => "malformed-tcp",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a capture source has read so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packet records read (pcap records; pcapng enhanced, simple and obsolete packet blocks).
    pub frames: u64,
    /// Bytes of those frames as captured.
    pub frame_bytes: u64,
    /// Frames that yielded a TCP segment.
    pub tcp_segments: u64,
    /// TCP segments whose payload the capture cut short (snap length).
    pub snapped_segments: u64,
    /// pcapng blocks that carry no packet (statistics, name resolution, custom), skipped.
    pub other_blocks: u64,
    /// The last unsupported link type seen, for the error message.
    pub unsupported_link: Option<u32>,
    skipped: [u64; SkipReason::ALL.len()],
}

impl CaptureStats {
    /// Counts a frame skipped for `reason`.
    pub fn skip(&mut self, reason: SkipReason) {
        self.skipped[reason.index()] += 1;
    }

    /// Frames skipped for `reason`.
    pub fn skipped(&self, reason: SkipReason) -> u64 {
        self.skipped[reason.index()]
    }

    /// Frames skipped for any reason.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().sum()
    }

    /// Non-zero skip counts by reason.
    pub fn skipped_by_reason(&self) -> impl Iterator<Item = (SkipReason, u64)> + '_ {
        SkipReason::ALL.into_iter().map(|r| (r, self.skipped(r))).filter(|&(_, n)| n > 0)
    }

    /// Adds another source's counts (several files in one run).
    pub fn merge(&mut self, other: &CaptureStats) {
        self.frames += other.frames;
        self.frame_bytes += other.frame_bytes;
        self.tcp_segments += other.tcp_segments;
        self.snapped_segments += other.snapped_segments;
        self.other_blocks += other.other_blocks;
        if other.unsupported_link.is_some() {
            self.unsupported_link = other.unsupported_link;
        }
        for (a, b) in self.skipped.iter_mut().zip(other.skipped) {
            *a += b;
        }
    }
}

impl Serialize for CaptureStats {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("frames", &self.frames)?;
        m.serialize_entry("frame_bytes", &self.frame_bytes)?;
        m.serialize_entry("tcp_segments", &self.tcp_segments)?;
        m.serialize_entry("snapped_segments", &self.snapped_segments)?;
        m.serialize_entry("other_blocks", &self.other_blocks)?;
        for r in SkipReason::ALL {
            m.serialize_entry(r.name(), &self.skipped(r))?;
        }
        m.end()
    }
}
