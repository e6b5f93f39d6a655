//! Cutting one flow's byte stream into BGP messages (RFC 4271 §4.1), across segment
//! boundaries, and finding the next message again after a gap or a broken header.

use bgpstorm_wire::WireError;
use bgpstorm_wire::framing::{HEADER_LEN, message_len};

/// The longest message any session may carry (RFC 8654). Framing only needs the length field;
/// whether the session allows that length is the decoder's judgement, under its context.
const MAX_FRAME: usize = 65535;

/// What the framer found in the bytes it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Framed {
    /// One whole message, header included.
    Message { offset: u64, bytes: Vec<u8> },
    /// A header that cannot start a message while the stream was in sync: the 19 header bytes
    /// and why. The framer looks for the next valid header after it.
    BadHeader { offset: u64, error: WireError, bytes: Vec<u8> },
    /// A valid header was found again after `dropped` bytes that belong to no message (the
    /// start of a mid-stream capture, the rest of a message cut by a gap, garbage).
    Resynced { offset: u64, dropped: u64 },
}

/// The framing state of one flow.
#[derive(Debug)]
pub(crate) struct Framer {
    /// Bytes not yet framed: an unfinished message, or bytes that may start a marker.
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    buf_off: u64,
    /// Whether the next byte is known to start a message.
    synced: bool,
    /// Bytes dropped since sync was lost.
    dropped: u64,
}

impl Framer {
    /// A framer for a stream whose first byte, at `offset`, starts a message (`synced`) or
    /// may be anywhere in one.
    pub(crate) fn new(synced: bool, offset: u64) -> Self {
        Self { buf: Vec::new(), buf_off: offset, synced, dropped: 0 }
    }

    /// Frames the bytes at `offset`, which follow the previous ones unless a gap was reported.
    pub(crate) fn push(&mut self, offset: u64, data: &[u8], out: &mut Vec<Framed>) {
        if offset != self.buf_off + self.buf.len() as u64 {
            self.gap(offset);
        }
        if self.buf.is_empty() {
            let used = frame(data, offset, &mut self.synced, &mut self.dropped, out);
            self.buf.extend_from_slice(&data[used..]);
            self.buf_off = offset + used as u64;
        } else {
            self.buf.extend_from_slice(data);
            let used = frame(&self.buf, self.buf_off, &mut self.synced, &mut self.dropped, out);
            self.buf.drain(..used);
            self.buf_off += used as u64;
        }
    }

    /// Bytes before `resume_at` are missing: an unfinished message is lost with them and the
    /// next message must be found by its header.
    pub(crate) fn gap(&mut self, resume_at: u64) {
        self.dropped += self.buf.len() as u64;
        self.buf.clear();
        self.buf_off = resume_at;
        self.synced = false;
    }

    /// The stream ended; returns what it left undecoded.
    pub(crate) fn close(&mut self) -> Leftover {
        let left = self.buf.len() as u64;
        self.buf.clear();
        if self.synced {
            Leftover { unfinished: left, unsynced: 0 }
        } else {
            let unsynced = std::mem::take(&mut self.dropped) + left;
            Leftover { unfinished: 0, unsynced }
        }
    }
}

/// What a stream left undecoded when it ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Leftover {
    /// Bytes of a message the stream ended in the middle of (it was in sync).
    pub(crate) unfinished: u64,
    /// Bytes dropped while looking for a message header that never came: the whole flow when
    /// it started mid-stream and no marker followed, or everything after a gap or a broken
    /// header.
    pub(crate) unsynced: u64,
}

/// Frames as many messages as `data` holds; returns how many bytes were consumed (framed or
/// dropped). The rest waits for more bytes.
fn frame(
    data: &[u8],
    base: u64,
    synced: &mut bool,
    dropped: &mut u64,
    out: &mut Vec<Framed>,
) -> usize {
    let mut pos = 0;
    loop {
        if !*synced {
            let (skip, found) = find_header(&data[pos..]);
            pos += skip;
            *dropped += skip as u64;
            if !found {
                return pos;
            }
            *synced = true;
            if *dropped > 0 {
                out.push(Framed::Resynced { offset: base + pos as u64, dropped: *dropped });
                *dropped = 0;
            }
        }
        let rest = &data[pos..];
        match message_len(rest, MAX_FRAME) {
            Ok(Some(len)) if rest.len() >= len => {
                out.push(Framed::Message {
                    offset: base + pos as u64,
                    bytes: rest[..len].to_vec(),
                });
                pos += len;
            }
            Ok(_) => return pos,
            Err(error) => {
                let bytes = rest[..HEADER_LEN.min(rest.len())].to_vec();
                out.push(Framed::BadHeader { offset: base + pos as u64, error, bytes });
                *synced = false;
            }
        }
    }
}

/// Looks for a valid message header (marker, length and type, RFC 4271 §4.1) in `data`.
/// Returns how many bytes before it can be dropped, and whether a whole valid header was
/// found there (if not, the bytes kept may still begin one).
fn find_header(data: &[u8]) -> (usize, bool) {
    let mut run = 0usize;
    for (j, &b) in data.iter().enumerate() {
        if b != 0xff {
            run = 0;
            continue;
        }
        run += 1;
        if run >= 16 {
            let start = j + 1 - 16;
            match message_len(&data[start..], MAX_FRAME) {
                Ok(Some(_)) => return (start, true),
                Ok(None) => return (start, false),
                Err(_) => {}
            }
        }
    }
    (data.len() - run.min(15), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keepalive() -> Vec<u8> {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&[0, 19, 4]);
        m
    }

    fn notification(data: &[u8]) -> Vec<u8> {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&(21 + data.len() as u16).to_be_bytes());
        m.extend_from_slice(&[3, 6, 2]);
        m.extend_from_slice(data);
        m
    }

    fn messages(out: &[Framed]) -> Vec<(u64, Vec<u8>)> {
        out.iter()
            .filter_map(|f| match f {
                Framed::Message { offset, bytes } => Some((*offset, bytes.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_message_split_over_three_segments_is_framed_once_whole() {
        let m = notification(b"bye now");
        let mut f = Framer::new(true, 0);
        let mut out = Vec::new();
        f.push(0, &m[..5], &mut out);
        f.push(5, &m[5..20], &mut out);
        assert!(out.is_empty());
        f.push(20, &m[20..], &mut out);
        assert_eq!(messages(&out), vec![(0, m)]);
    }

    #[test]
    fn several_messages_in_one_segment_are_all_framed() {
        let (a, b) = (keepalive(), notification(b"x"));
        let data = [a.clone(), b.clone(), a.clone()].concat();
        let mut f = Framer::new(true, 100);
        let mut out = Vec::new();
        f.push(100, &data, &mut out);
        assert_eq!(messages(&out), vec![(100, a.clone()), (119, b), (141, a)]);
    }

    #[test]
    fn after_a_gap_bytes_are_dropped_until_the_next_header() {
        let (a, b) = (notification(b"0123456789"), keepalive());
        let mut f = Framer::new(true, 0);
        let mut out = Vec::new();
        f.push(0, &a[..10], &mut out);
        f.gap(20);
        f.push(20, &[&a[20..], &b[..]].concat(), &mut out);
        assert_eq!(
            out,
            vec![
                Framed::Resynced { offset: 31, dropped: 21 },
                Framed::Message { offset: 31, bytes: b },
            ]
        );
    }

    #[test]
    fn a_mid_stream_start_resyncs_on_a_marker_split_across_segments() {
        let k = keepalive();
        let data = [&b"tail of an update"[..], &k].concat();
        let mut f = Framer::new(false, 0);
        let mut out = Vec::new();
        f.push(0, &data[..25], &mut out);
        assert!(out.is_empty());
        f.push(25, &data[25..], &mut out);
        assert_eq!(
            out,
            vec![
                Framed::Resynced { offset: 17, dropped: 17 },
                Framed::Message { offset: 17, bytes: k }
            ]
        );
    }

    #[test]
    fn a_broken_header_is_reported_and_the_next_message_found() {
        let mut bad = keepalive();
        bad[18] = 9;
        let k = keepalive();
        let mut f = Framer::new(true, 0);
        let mut out = Vec::new();
        f.push(0, &[bad.clone(), k.clone()].concat(), &mut out);
        assert!(matches!(&out[0], Framed::BadHeader { offset: 0, bytes, .. } if *bytes == bad));
        assert_eq!(out[1], Framed::Resynced { offset: 19, dropped: 19 });
        assert_eq!(out[2], Framed::Message { offset: 19, bytes: k });
    }

    #[test]
    fn an_unfinished_message_is_reported_at_close() {
        let mut f = Framer::new(true, 0);
        let mut out = Vec::new();
        f.push(0, &keepalive()[..7], &mut out);
        assert_eq!(f.close(), Leftover { unfinished: 7, unsynced: 0 });
    }

    #[test]
    fn a_mid_stream_start_that_never_finds_a_header_reports_every_byte_at_close() {
        let mut f = Framer::new(false, 0);
        let mut out = Vec::new();
        // No marker at all, then a run of 0xff too short to be one (kept as a possible start).
        f.push(0, &[0x42; 1000], &mut out);
        f.push(1000, &[0xff; 10], &mut out);
        assert!(out.is_empty());
        assert_eq!(f.close(), Leftover { unfinished: 0, unsynced: 1010 });
    }

    #[test]
    fn bytes_after_a_gap_that_never_resync_are_reported_at_close() {
        let k = keepalive();
        let mut f = Framer::new(true, 0);
        let mut out = Vec::new();
        f.push(0, &[&k[..], &k[..5]].concat(), &mut out);
        f.gap(100);
        f.push(100, &[1, 2, 3], &mut out);
        assert_eq!(messages(&out), vec![(0, k)]);
        // The 5 bytes of the message cut by the gap, and the 3 after it.
        assert_eq!(f.close(), Leftover { unfinished: 0, unsynced: 8 });
    }
}
