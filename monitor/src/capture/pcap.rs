//! pcap and pcapng files as a capture source.
//!
//! The format is told by the magic number (pcap: `a1b2c3d4`/`a1b23c4d` in either byte order;
//! pcapng: the section header block type `0a0d0d0a`; gzip-compressed files are decompressed on
//! the fly). Records are framed here, over a buffer we own, so that every error names the
//! file offset; pcap-file's slice parsers decode the file header and the pcapng section and
//! interface blocks. Packet blocks are read here because pcap-file 2.0 reads every pcapng
//! timestamp as nanoseconds, whatever the interface's `if_tsresol` says, and rejects pcap
//! records whose original length exceeds the snap length (which is what a snap length is for).

use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::PcapNgParser;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::{Endianness, PcapError, TsResolution};
use std::io::Read;
use std::path::Path;

use super::frame::{LinkType, parse_frame};
use super::{CaptureError, CaptureEvent, CaptureStats, Direction};

/// Records larger than this are treated as corruption rather than read into memory.
const MAX_RECORD: usize = 64 << 20;
/// How much is read from the file at a time.
const READ_CHUNK: usize = 1 << 20;

const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_IDB: u32 = 0x0000_0001;
const PCAPNG_PB: u32 = 0x0000_0002;
const PCAPNG_SPB: u32 = 0x0000_0003;
const PCAPNG_EPB: u32 = 0x0000_0006;

/// A pcap or pcapng file read as a sequence of [`CaptureEvent`]s.
///
/// Frames that are not TCP are skipped and counted in [`PcapSource::stats`]. The iterator
/// yields at most one error, for a truncated or corrupt file, after every event before the
/// damage, and then ends.
pub struct PcapSource {
    path: String,
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    /// File offset of `buf[start]`.
    offset: u64,
    format: Format,
    stats: CaptureStats,
    done: bool,
}

enum Format {
    /// Before the file header is read.
    Unknown,
    Pcap {
        parser: PcapParser,
        link: LinkType,
        nanos: bool,
        big_endian: bool,
    },
    PcapNg {
        parser: PcapNgParser,
        interfaces: Vec<Interface>,
    },
}

/// What a pcapng interface description says about its packets.
struct Interface {
    link: LinkType,
    /// `if_tsresol`: bit 7 clear, 10^-n seconds; set, 2^-n seconds (pcapng §4.2).
    tsresol: u8,
    /// `if_tsoffset`: seconds to add to every timestamp.
    tsoffset: i64,
}

/// One packet record, still borrowing the file buffer.
struct Packet<'a> {
    ts_ns: u64,
    interface: u32,
    link: LinkType,
    direction: Option<Direction>,
    data: &'a [u8],
}

impl PcapSource {
    /// Opens a capture file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = std::fs::File::open(path)
            .map_err(|e| CaptureError::Io { path: name.clone(), message: e.to_string() })?;
        Self::from_reader(name, file)
    }

    /// Reads a capture from any reader; `name` is used in error messages.
    pub fn from_reader(
        name: impl Into<String>,
        reader: impl Read + Send + 'static,
    ) -> Result<Self, CaptureError> {
        let mut src = Self {
            path: name.into(),
            reader: Box::new(reader),
            buf: Vec::new(),
            start: 0,
            eof: false,
            offset: 0,
            format: Format::Unknown,
            stats: CaptureStats::default(),
            done: false,
        };
        src.fill(4)?;
        if src.available().starts_with(&[0x1f, 0x8b]) {
            let compressed = std::mem::replace(&mut src.reader, Box::new(std::io::empty()));
            let head = std::io::Cursor::new(std::mem::take(&mut src.buf));
            src.reader = Box::new(flate2::read::MultiGzDecoder::new(head.chain(compressed)));
            src.eof = false;
            src.fill(4)?;
        }
        src.format = src.read_file_header()?;
        Ok(src)
    }

    /// The file name given at opening.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What has been read so far.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// The next TCP segment, an error that ends the file, or `None` at its end.
    pub fn next_event(&mut self) -> Option<Result<CaptureEvent, CaptureError>> {
        while !self.done {
            match self.next_record() {
                Ok(Some(ev)) => return Some(Ok(ev)),
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Reads until `n` bytes are buffered or the file ends; returns whether they are there.
    fn fill(&mut self, n: usize) -> Result<bool, CaptureError> {
        while self.buf.len() - self.start < n && !self.eof {
            if self.start > 0 {
                self.buf.drain(..self.start);
                self.start = 0;
            }
            let have = self.buf.len();
            let want = (n - have).max(READ_CHUNK);
            self.buf.resize(have + want, 0);
            let read = loop {
                match self.reader.read(&mut self.buf[have..]) {
                    Ok(r) => break r,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(have);
                        return Err(self.io_error(&e));
                    }
                }
            };
            self.buf.truncate(have + read);
            self.eof = read == 0;
        }
        Ok(self.buf.len() - self.start >= n)
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
    }

    fn io_error(&self, e: &std::io::Error) -> CaptureError {
        CaptureError::Io { path: self.path.clone(), message: e.to_string() }
    }

    fn truncated(&self, what: &'static str, needed: usize) -> CaptureError {
        CaptureError::Truncated {
            path: self.path.clone(),
            offset: self.offset,
            what,
            needed: needed as u64,
            available: self.available().len() as u64,
        }
    }

    fn malformed(&self, reason: impl Into<String>) -> CaptureError {
        CaptureError::Malformed {
            path: self.path.clone(),
            offset: self.offset,
            reason: reason.into(),
        }
    }

    fn pcap_error(&self, e: PcapError) -> CaptureError {
        self.malformed(e.to_string())
    }

    fn read_file_header(&mut self) -> Result<Format, CaptureError> {
        let magic = self.available().get(..4).map(|m| [m[0], m[1], m[2], m[3]]);
        match magic.map(u32::from_be_bytes) {
            Some(0xa1b2_c3d4 | 0xa1b2_3c4d | 0xd4c3_b2a1 | 0x4d3c_b2a1) => {
                if !self.fill(24)? {
                    return Err(self.truncated("pcap file header", 24));
                }
                let (parser, header) = match PcapParser::new(self.available()) {
                    Ok((_, p)) => {
                        let h = p.header();
                        (p, h)
                    }
                    Err(e) => return Err(self.pcap_error(e)),
                };
                self.consume(24);
                Ok(Format::Pcap {
                    parser,
                    link: LinkType::from_number(u32::from(header.datalink)),
                    nanos: header.ts_resolution == TsResolution::NanoSecond,
                    big_endian: header.endianness == Endianness::Big,
                })
            }
            Some(PCAPNG_SHB) => {
                let len = self.block_len()?;
                let parser = match PcapNgParser::new(&self.available()[..len]) {
                    Ok((_, p)) => p,
                    Err(e) => return Err(self.pcap_error(e)),
                };
                self.consume(len);
                Ok(Format::PcapNg { parser, interfaces: Vec::new() })
            }
            _ => Err(CaptureError::UnknownFormat {
                path: self.path.clone(),
                magic: bgpstorm_wire::model::hex(self.available().get(..4).unwrap_or_default()),
            }),
        }
    }

    /// Reads one record; `Ok(None)` when it was not a TCP segment (counted) or not a packet.
    fn next_record(&mut self) -> Result<Option<CaptureEvent>, CaptureError> {
        if !self.fill(1)? {
            self.done = true;
            return Ok(None);
        }
        let len = match &self.format {
            Format::Pcap { big_endian, .. } => self.pcap_record_len(*big_endian)?,
            Format::PcapNg { .. } => self.block_len()?,
            Format::Unknown => return Err(self.malformed("no file header")),
        };
        let record = &self.buf[self.start..self.start + len];
        let packet = match &mut self.format {
            Format::Pcap { parser, link, nanos, .. } => {
                pcap_packet(parser, *link, *nanos, record).map(Some).map_err(|e| e.to_string())
            }
            Format::PcapNg { parser, interfaces } => {
                pcapng_block(parser, interfaces, record, &mut self.stats)
            }
            Format::Unknown => Ok(None),
        };
        let event = match packet {
            Ok(Some(p)) => to_event(&p, &mut self.stats),
            Ok(None) => None,
            Err(reason) => return Err(self.malformed(reason)),
        };
        self.consume(len);
        Ok(event)
    }

    /// Length of the pcap record at the buffer's start (its header: ts_sec, ts_frac,
    /// incl_len, orig_len, 4 bytes each), checked to be fully buffered.
    fn pcap_record_len(&mut self, big_endian: bool) -> Result<usize, CaptureError> {
        if !self.fill(16)? {
            return Err(self.truncated("pcap record header", 16));
        }
        let b = &self.available()[8..12];
        let b = [b[0], b[1], b[2], b[3]];
        let incl = if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) };
        let len = 16 + incl as usize;
        if len > MAX_RECORD {
            return Err(self.malformed(format!("record of {incl} bytes is implausibly large")));
        }
        if !self.fill(len)? {
            return Err(self.truncated("pcap record", len));
        }
        Ok(len)
    }

    /// Length of the pcapng block at the buffer's start (pcapng §3.1), checked to be fully
    /// buffered. A section header's byte order is its own, told by its magic.
    fn block_len(&mut self) -> Result<usize, CaptureError> {
        if !self.fill(12)? {
            return Err(self.truncated("pcapng block header", 12));
        }
        let a = self.available();
        let word = |at: usize| [a[at], a[at + 1], a[at + 2], a[at + 3]];
        let big = if u32::from_be_bytes(word(0)) == PCAPNG_SHB {
            match u32::from_be_bytes(word(8)) {
                0x1a2b_3c4d => true,
                0x4d3c_2b1a => false,
                _ => return Err(self.malformed("section header with an invalid byte-order magic")),
            }
        } else {
            match &self.format {
                Format::PcapNg { parser, .. } => parser.section().endianness == Endianness::Big,
                _ => true,
            }
        };
        let raw = if big { u32::from_be_bytes(word(4)) } else { u32::from_le_bytes(word(4)) };
        let len = raw as usize;
        if len < 12 || !len.is_multiple_of(4) || len > MAX_RECORD {
            return Err(self.malformed(format!("block length {raw} is invalid")));
        }
        if !self.fill(len)? {
            return Err(self.truncated("pcapng block", len));
        }
        Ok(len)
    }
}

impl Iterator for PcapSource {
    type Item = Result<CaptureEvent, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

fn pcap_packet<'a>(
    parser: &PcapParser,
    link: LinkType,
    nanos: bool,
    record: &'a [u8],
) -> Result<Packet<'a>, PcapError> {
    let (_, raw) = parser.next_raw_packet(record)?;
    let frac = if nanos { u64::from(raw.ts_frac) } else { u64::from(raw.ts_frac) * 1000 };
    let ts_ns = u64::from(raw.ts_sec) * 1_000_000_000 + frac;
    let data = &record[16..];
    Ok(Packet { ts_ns, interface: 0, link, direction: None, data })
}

/// Decodes one pcapng block; packets are returned, interface descriptions remembered, and
/// every other block counted.
fn pcapng_block<'a>(
    parser: &mut PcapNgParser,
    interfaces: &mut Vec<Interface>,
    record: &'a [u8],
    stats: &mut CaptureStats,
) -> Result<Option<Packet<'a>>, String> {
    let (_, raw) = parser.next_raw_block(record).map_err(|e| e.to_string())?;
    let big = parser.section().endianness == Endianness::Big;
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        let w = b.get(at..at + 4)?;
        let w = [w[0], w[1], w[2], w[3]];
        Some(if big { u32::from_be_bytes(w) } else { u32::from_le_bytes(w) })
    };
    let body = &record[8..record.len() - 4];
    match raw.type_ {
        PCAPNG_SHB => {
            interfaces.clear();
            Ok(None)
        }
        PCAPNG_IDB => {
            interfaces.push(parser.interfaces().last().map(interface).ok_or("no interface")?);
            Ok(None)
        }
        PCAPNG_EPB | PCAPNG_PB => {
            // EPB: interface (4), ts high (4), ts low (4), captured (4), original (4), data,
            // options. The obsolete PB has interface (2) and drops (2) in the first word.
            let short = "packet block shorter than its header";
            let first = u32_at(body, 0).ok_or(short)?;
            let interface = if raw.type_ == PCAPNG_PB {
                if big { first >> 16 } else { first & 0xffff }
            } else {
                first
            };
            let ts = (u64::from(u32_at(body, 4).ok_or(short)?) << 32)
                | u64::from(u32_at(body, 8).ok_or(short)?);
            let captured = u32_at(body, 12).ok_or(short)? as usize;
            let data = body.get(20..20 + captured).ok_or("captured length exceeds the block")?;
            let padded = 20 + captured.div_ceil(4) * 4;
            let direction = if raw.type_ == PCAPNG_EPB {
                epb_direction(body.get(padded..).unwrap_or_default(), big)
            } else {
                None
            };
            let iface = interfaces
                .get(interface as usize)
                .ok_or_else(|| format!("packet on undeclared interface {interface}"))?;
            let ts_ns = timestamp_ns(ts, iface.tsresol, iface.tsoffset);
            Ok(Some(Packet { ts_ns, interface, link: iface.link, direction, data }))
        }
        PCAPNG_SPB => {
            let iface = interfaces.first().ok_or("simple packet block before any interface")?;
            let data = body.get(4..).unwrap_or_default();
            Ok(Some(Packet { ts_ns: 0, interface: 0, link: iface.link, direction: None, data }))
        }
        _ => {
            stats.other_blocks += 1;
            Ok(None)
        }
    }
}

fn interface(
    idb: &pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock,
) -> Interface {
    let mut i =
        Interface { link: LinkType::from_number(u32::from(idb.linktype)), tsresol: 6, tsoffset: 0 };
    for opt in &idb.options {
        match opt {
            InterfaceDescriptionOption::IfTsResol(r) => i.tsresol = *r,
            InterfaceDescriptionOption::IfTsOffset(o) => i.tsoffset = *o as i64,
            _ => {}
        }
    }
    i
}

/// The `epb_flags` option (code 2, pcapng §4.3.1): bits 0-1 are 01 inbound, 10 outbound.
fn epb_direction(mut opts: &[u8], big: bool) -> Option<Direction> {
    while opts.len() >= 4 {
        let (code, len) = if big {
            (u16::from_be_bytes([opts[0], opts[1]]), u16::from_be_bytes([opts[2], opts[3]]))
        } else {
            (u16::from_le_bytes([opts[0], opts[1]]), u16::from_le_bytes([opts[2], opts[3]]))
        };
        let len = usize::from(len);
        let value = opts.get(4..4 + len)?;
        if code == 0 {
            return None;
        }
        if code == 2 && len == 4 {
            let v = [value[0], value[1], value[2], value[3]];
            let flags = if big { u32::from_be_bytes(v) } else { u32::from_le_bytes(v) };
            return match flags & 3 {
                1 => Some(Direction::Ingress),
                2 => Some(Direction::Egress),
                _ => None,
            };
        }
        opts = opts.get(4 + len.div_ceil(4) * 4..)?;
    }
    None
}

/// A pcapng timestamp in units of `tsresol`, plus `tsoffset` seconds, in nanoseconds since
/// the epoch (saturating: a corrupt value gives a wrong time, not a crash).
fn timestamp_ns(ts: u64, tsresol: u8, tsoffset: i64) -> u64 {
    let exp = u32::from(tsresol & 0x7f);
    let ns: u128 = if tsresol & 0x80 == 0 {
        if exp <= 9 {
            u128::from(ts) * 10u128.pow(9 - exp)
        } else {
            u128::from(ts) / 10u128.checked_pow(exp - 9).unwrap_or(u128::MAX)
        }
    } else if exp < 64 {
        (u128::from(ts) * 1_000_000_000) >> exp
    } else {
        0
    };
    let offset = i128::from(tsoffset) * 1_000_000_000;
    let total = (ns as i128).saturating_add(offset).max(0);
    u64::try_from(total).unwrap_or(u64::MAX)
}

fn to_event(p: &Packet<'_>, stats: &mut CaptureStats) -> Option<CaptureEvent> {
    stats.frames += 1;
    stats.frame_bytes += p.data.len() as u64;
    match parse_frame(p.link, p.data) {
        Ok(seg) => {
            stats.tcp_segments += 1;
            let ev = CaptureEvent {
                ts_ns: p.ts_ns,
                ifindex: seg.ifindex.unwrap_or(p.interface),
                direction: seg.direction.or(p.direction),
                src: seg.src,
                dst: seg.dst,
                seq: seg.seq,
                ack: seg.ack,
                flags: seg.flags,
                payload: seg.payload.to_vec(),
                payload_len: seg.payload_len,
            };
            if ev.is_snapped() {
                stats.snapped_segments += 1;
            }
            Some(ev)
        }
        Err(reason) => {
            if let super::LinkType::Other(n) = p.link {
                stats.unsupported_link = Some(n);
            }
            stats.skip(reason);
            None
        }
    }
}

#[cfg(test)]
#[path = "pcap_tests.rs"]
mod tests;
