//! Byte ranges of one flow that arrived ahead of a hole, and the tail of what was delivered.
//!
//! Offsets are positions in the flow's byte stream (0 is the first byte after the SYN, or the
//! first byte seen), 64 bits wide so that sequence-number wrap-around is handled once, when a
//! sequence number is turned into an offset.

use std::collections::BTreeMap;

/// How the bytes of a new segment compared with bytes already held for the same offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Overlap {
    /// Bytes identical to those already held (retransmissions).
    pub duplicate: u64,
    /// Bytes that differ from those already held; the first copy is kept.
    pub conflicting: u64,
}

impl Overlap {
    pub(crate) fn add(&mut self, other: Overlap) {
        self.duplicate += other.duplicate;
        self.conflicting += other.conflicting;
    }
}

/// What a buffered range holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Content {
    /// Bytes captured.
    Bytes(Vec<u8>),
    /// Bytes that were on the wire but not in the capture (cut by the snap length).
    Lost(u64),
}

impl Content {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Self::Bytes(b) => b.len() as u64,
            Self::Lost(n) => *n,
        }
    }
}

/// Non-overlapping ranges waiting for the hole before them to be filled.
#[derive(Debug, Default)]
pub(crate) struct PieceBuffer {
    pieces: BTreeMap<u64, Content>,
    bytes: u64,
}

impl PieceBuffer {
    /// Bytes held (lost ranges count by their length: they stand for wire bytes).
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Number of ranges held.
    pub(crate) fn pieces(&self) -> usize {
        self.pieces.len()
    }

    /// Whether nothing is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Offset of the first range held.
    pub(crate) fn first_offset(&self) -> Option<u64> {
        self.pieces.keys().next().copied()
    }

    /// Removes and returns the range starting exactly at `off`.
    pub(crate) fn take_at(&mut self, off: u64) -> Option<Content> {
        let c = self.pieces.remove(&off)?;
        self.bytes -= c.len();
        Some(c)
    }

    /// Drops every range and returns how many bytes they held.
    pub(crate) fn clear(&mut self) -> u64 {
        self.pieces.clear();
        std::mem::take(&mut self.bytes)
    }

    fn put(&mut self, off: u64, c: Content) {
        if c.len() > 0 {
            self.bytes += c.len();
            self.pieces.insert(off, c);
        }
    }

    /// Ranges overlapping `[start, end)`, in order: (offset, length).
    fn overlapping(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let before = self.pieces.range(..start).next_back();
        let from = before.filter(|(o, c)| *o + c.len() > start).map(|(o, _)| *o).unwrap_or(start);
        self.pieces.range(from..end).map(|(o, c)| (*o, c.len())).collect()
    }

    /// Holds `data` at `off`. Bytes already held win (RFC 9293 leaves the choice open; the
    /// first copy is what an IDS-style "first" policy keeps); lost ranges are replaced by
    /// captured bytes. Returns how the overlapping bytes compared.
    pub(crate) fn insert(&mut self, off: u64, data: &[u8]) -> Overlap {
        let end = off + data.len() as u64;
        let mut overlap = Overlap::default();
        let mut cursor = off;
        for (p_off, p_len) in self.overlapping(off, end) {
            let p_end = p_off + p_len;
            if p_off > cursor {
                self.put(cursor, Content::Bytes(slice(data, off, cursor, p_off).to_vec()));
            }
            let (ov_start, ov_end) = (p_off.max(off), p_end.min(end));
            match self.pieces.get(&p_off) {
                Some(Content::Bytes(held)) => {
                    let held = slice(held, p_off, ov_start, ov_end);
                    overlap.add(compare(held, slice(data, off, ov_start, ov_end)));
                }
                Some(Content::Lost(_)) => {
                    self.take_at(p_off);
                    self.put(p_off, Content::Lost(ov_start - p_off));
                    self.put(ov_start, Content::Bytes(slice(data, off, ov_start, ov_end).to_vec()));
                    self.put(ov_end, Content::Lost(p_end - ov_end));
                }
                None => {}
            }
            cursor = cursor.max(ov_end);
        }
        if cursor < end {
            self.put(cursor, Content::Bytes(slice(data, off, cursor, end).to_vec()));
        }
        overlap
    }

    /// Marks `[off, off + len)` as lost unless bytes are held there.
    pub(crate) fn insert_lost(&mut self, off: u64, len: u64) {
        let end = off + len;
        let mut cursor = off;
        for (p_off, p_len) in self.overlapping(off, end) {
            if p_off > cursor {
                self.put(cursor, Content::Lost(p_off - cursor));
            }
            cursor = cursor.max(p_off + p_len);
        }
        if cursor < end {
            self.put(cursor, Content::Lost(end - cursor));
        }
    }
}

/// `data` starts at stream offset `base`; the bytes of `[from, to)`.
fn slice(data: &[u8], base: u64, from: u64, to: u64) -> &[u8] {
    let a = usize::try_from(from.saturating_sub(base)).unwrap_or(usize::MAX).min(data.len());
    let b = usize::try_from(to.saturating_sub(base)).unwrap_or(usize::MAX).min(data.len());
    &data[a..b.max(a)]
}

fn compare(held: &[u8], new: &[u8]) -> Overlap {
    let differing = held.iter().zip(new).filter(|(a, b)| a != b).count() as u64;
    let n = held.len().min(new.len()) as u64;
    Overlap { duplicate: n - differing, conflicting: differing }
}

/// The last bytes delivered, kept to tell retransmissions from conflicting rewrites.
#[derive(Debug, Default)]
pub(crate) struct History {
    data: Vec<u8>,
    /// Stream offset of `data[0]`.
    start: u64,
    capacity: usize,
}

impl History {
    pub(crate) fn new(capacity: usize, start: u64) -> Self {
        Self { data: Vec::new(), start, capacity }
    }

    /// Appends bytes delivered at `off` (which follows what was delivered before).
    pub(crate) fn push(&mut self, off: u64, bytes: &[u8]) {
        if self.capacity == 0 {
            return;
        }
        if off != self.start + self.data.len() as u64 {
            self.data.clear();
            self.start = off;
        }
        self.data.extend_from_slice(bytes);
        if self.data.len() > 2 * self.capacity {
            let cut = self.data.len() - self.capacity;
            self.data.drain(..cut);
            self.start += cut as u64;
        }
    }

    /// Records a hole of `len` bytes: nothing before it can be compared any more.
    pub(crate) fn skip(&mut self, off: u64, len: u64) {
        self.data.clear();
        self.start = off + len;
    }

    /// Compares `bytes` (at `off`, all before the delivery point) with what was delivered.
    /// Bytes older than the history count as duplicates: they cannot be checked.
    pub(crate) fn compare(&self, off: u64, bytes: &[u8]) -> Overlap {
        let end = off + bytes.len() as u64;
        let known_end = self.start + self.data.len() as u64;
        let (from, to) = (off.max(self.start), end.min(known_end));
        let mut o = Overlap::default();
        if from < to {
            o = compare(slice(&self.data, self.start, from, to), slice(bytes, off, from, to));
        }
        o.duplicate += bytes.len() as u64 - (o.duplicate + o.conflicting);
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(b: &PieceBuffer) -> Vec<(u64, Content)> {
        b.pieces.iter().map(|(o, c)| (*o, c.clone())).collect()
    }

    #[test]
    fn disjoint_ranges_are_held_apart_in_order() {
        let mut b = PieceBuffer::default();
        b.insert(10, b"cd");
        b.insert(0, b"ab");
        assert_eq!(
            held(&b),
            vec![(0, Content::Bytes(b"ab".to_vec())), (10, Content::Bytes(b"cd".to_vec()))]
        );
        assert_eq!(b.bytes(), 4);
    }

    #[test]
    fn an_overlapping_range_only_adds_the_new_bytes_and_counts_the_rest() {
        let mut b = PieceBuffer::default();
        b.insert(2, b"cd");
        let o = b.insert(0, b"abXdef");
        assert_eq!(o, Overlap { duplicate: 1, conflicting: 1 });
        assert_eq!(
            held(&b),
            vec![
                (0, Content::Bytes(b"ab".to_vec())),
                (2, Content::Bytes(b"cd".to_vec())),
                (4, Content::Bytes(b"ef".to_vec())),
            ]
        );
        assert_eq!(b.bytes(), 6);
    }

    #[test]
    fn captured_bytes_replace_a_lost_range() {
        let mut b = PieceBuffer::default();
        b.insert_lost(0, 10);
        b.insert(4, b"xy");
        assert_eq!(
            held(&b),
            vec![(0, Content::Lost(4)), (4, Content::Bytes(b"xy".to_vec())), (6, Content::Lost(4))]
        );
        assert_eq!(b.bytes(), 10);
    }

    #[test]
    fn history_tells_retransmissions_from_rewrites() {
        let mut h = History::new(4, 0);
        h.push(0, b"abcdefghij");
        assert_eq!(h.compare(6, b"gh"), Overlap { duplicate: 2, conflicting: 0 });
        assert_eq!(h.compare(6, b"gX"), Overlap { duplicate: 1, conflicting: 1 });
    }
}
