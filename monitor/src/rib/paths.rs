//! The paths of one prefix, stored compactly: most prefixes of a monitored table have one
//! path per session and few sessions, so a path is 20 bytes (4-aligned) and a prefix's set is
//! one inline path or an exactly sized boxed slice, never a growable vector with spare
//! capacity (see `examples/rib_memory.rs` for the figures).

use super::SessionId;
use super::attrs::AttrId;

/// One path in the table: 20 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Path {
    pub(super) session: SessionId,
    /// Whether `path_id` was on the wire (ADD-PATH).
    pub(super) has_path_id: bool,
    pub(super) path_id: u32,
    pub(super) attrs: AttrId,
    // The receive time as two halves keeps the struct 4-aligned (20 bytes, not 24).
    received_lo: u32,
    received_hi: u32,
}

impl Path {
    /// A path of `session` with ADD-PATH identifier `path_id`, attributes `attrs`.
    pub(super) fn new(
        session: SessionId,
        path_id: Option<u32>,
        attrs: AttrId,
        received_ns: u64,
    ) -> Self {
        Self {
            session,
            has_path_id: path_id.is_some(),
            path_id: path_id.unwrap_or(0),
            attrs,
            received_lo: received_ns as u32,
            received_hi: (received_ns >> 32) as u32,
        }
    }

    /// Wire time it was received, ns.
    pub(super) fn received_ns(&self) -> u64 {
        u64::from(self.received_hi) << 32 | u64::from(self.received_lo)
    }

    /// Same session and path identifier (the key of a path within its prefix).
    pub(super) fn same_key(&self, other: &Path) -> bool {
        self.session == other.session
            && self.has_path_id == other.has_path_id
            && self.path_id == other.path_id
    }

    /// The ADD-PATH identifier, when there was one on the wire.
    pub(super) fn path_id_opt(&self) -> Option<u32> {
        self.has_path_id.then_some(self.path_id)
    }
}

/// The paths of one prefix (24 bytes in the trie; a heap block only for two or more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Paths {
    /// Exactly one path, inline.
    One(Path),
    /// Zero, or two and more, exactly sized.
    Many(Box<[Path]>),
}

impl Default for Paths {
    fn default() -> Self {
        Self::Many(Box::new([]))
    }
}

impl Paths {
    /// The paths as a slice.
    pub(super) fn as_slice(&self) -> &[Path] {
        match self {
            Self::One(p) => std::slice::from_ref(p),
            Self::Many(b) => b,
        }
    }

    /// The paths as a mutable slice.
    pub(super) fn as_mut_slice(&mut self) -> &mut [Path] {
        match self {
            Self::One(p) => std::slice::from_mut(p),
            Self::Many(b) => b,
        }
    }

    /// Whether there is none.
    pub(super) fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// Adds a path (the caller checked that its key is new).
    pub(super) fn push(&mut self, p: Path) {
        *self = match std::mem::take(self) {
            Self::Many(b) if b.is_empty() => Self::One(p),
            Self::One(a) => Self::Many(Box::new([a, p])),
            Self::Many(b) => {
                let mut v = Vec::with_capacity(b.len() + 1);
                v.extend_from_slice(&b);
                v.push(p);
                Self::Many(v.into_boxed_slice())
            }
        };
    }

    /// Removes and returns the path at `i` (order is not kept).
    pub(super) fn swap_remove(&mut self, i: usize) -> Path {
        let removed = self.as_slice()[i];
        *self = match std::mem::take(self) {
            Self::One(_) => Self::default(),
            Self::Many(b) => {
                let mut v = b.into_vec();
                v.swap_remove(i);
                match v.as_slice() {
                    [one] => Self::One(*one),
                    _ => Self::Many(v.into_boxed_slice()),
                }
            }
        };
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(session: u16, path_id: Option<u32>) -> Path {
        Path::new(SessionId(session), path_id, AttrId(7), 0x1234_5678_9abc_def0)
    }

    #[test]
    fn a_path_is_20_bytes_and_a_prefix_slot_24() {
        assert_eq!(std::mem::size_of::<Path>(), 20);
        assert_eq!(std::mem::size_of::<Paths>(), 24);
        assert_eq!(path(1, None).received_ns(), 0x1234_5678_9abc_def0);
    }

    #[test]
    fn paths_go_inline_to_boxed_and_back_keeping_every_path() {
        let mut ps = Paths::default();
        assert!(ps.is_empty());
        ps.push(path(0, None));
        assert!(matches!(ps, Paths::One(_)));
        ps.push(path(1, None));
        ps.push(path(1, Some(5)));
        assert_eq!(ps.as_slice().len(), 3);
        assert!(ps.as_slice()[2].same_key(&path(1, Some(5))));
        assert!(!ps.as_slice()[1].same_key(&path(1, Some(5))));
        assert_eq!(ps.swap_remove(0), path(0, None));
        // swap_remove moved the last path into the hole: [(1, id 5), (1, none)].
        ps.as_mut_slice()[0].attrs = AttrId(9);
        assert_eq!(ps.swap_remove(1), path(1, None));
        assert!(matches!(&ps, Paths::One(p) if p.attrs == AttrId(9) && p.path_id_opt() == Some(5)));
        ps.swap_remove(0);
        assert!(ps.is_empty());
    }
}
