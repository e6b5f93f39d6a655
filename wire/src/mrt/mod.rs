//! MRT archives (RFC 6396, with the ADD-PATH subtypes of RFC 8050): our own reader, because
//! replay needs every record's raw bytes next to its decoded form.
//!
//! [`MrtReader`] takes a file or any [`std::io::Read`], recognizes plain, gzip and bzip2 input
//! by its first bytes, and yields one [`MrtRecord`] per record: the common header, the byte
//! offset of the record in the decompressed stream, the raw record (header included) and the
//! parsed [`MrtBody`]. BGP messages inside BGP4MP records and the attribute blocks of RIB
//! entries are decoded by the wire layer's [`MessageDecoder`](super::MessageDecoder), so an
//! archive and a live session produce the same route model.
//!
//! Errors never panic and never hide: a record whose body is malformed is an
//! [`MrtError::Malformed`] for that record and reading goes on with the next one (the header's
//! length says where it starts); a truncated record, a read error or corrupt compression ends
//! the stream with an error that carries the offset, and so does a header that is not MRT (a
//! type outside the IANA registry, a zero-filled header). Records of types, subtypes or
//! families we do not model are yielded as [`MrtBody::NotModelled`] and counted in
//! [`MrtStats`].

mod bgp;
mod bgp4mp;
mod cursor;
mod parser;
mod reader;
mod rib_attributes;
mod table_dump;
#[cfg(test)]
mod tests;
mod types;

pub use bgp4mp::{Bgp4mpMessage, StateChange};
pub use parser::MrtParser;
pub use reader::{Compression, MrtReader, RawRecord, decompressed};
pub use rib_attributes::{RibRoute, decode_rib_attributes};
pub use table_dump::{PeerEntry, PeerIndexTable, Rib, RibEntry, TableDumpEntry};
pub use types::{
    Bgp4mpSubtype, BgpSubtype, MrtHeader, MrtType, TableDumpSubtype, TableDumpV2Subtype,
};

use bytes::Bytes;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// One MRT record: where it was, its raw bytes and what it says.
#[derive(Clone, Debug)]
pub struct MrtRecord {
    /// Byte offset of the record's first header byte in the decompressed stream.
    pub offset: u64,
    /// The common header (RFC 6396 §2, §3).
    pub header: MrtHeader,
    /// The whole record as read, header included (what a replay writes back).
    pub raw: Bytes,
    /// The parsed body.
    pub body: MrtBody,
}

impl MrtRecord {
    /// The record's bytes after the common header (and after the microsecond field of the
    /// extended-timestamp types).
    pub fn body_bytes(&self) -> &[u8] {
        self.raw.get(self.header.header_len()..).unwrap_or_default()
    }
}

/// The parsed body of a record.
#[derive(Clone, Debug)]
pub enum MrtBody {
    /// A BGP message received or sent by the collector (BGP4MP and BGP4MP_ET `MESSAGE*`
    /// subtypes, RFC 6396 §4.4.2–4.4.6, RFC 8050 §3; the deprecated BGP type's BGP_UPDATE,
    /// BGP_OPEN, BGP_NOTIFY and BGP_KEEPALIVE, Appendix B.2.1).
    Message(Bgp4mpMessage),
    /// A BGP FSM state change (`STATE_CHANGE`, `STATE_CHANGE_AS4`, RFC 6396 §4.4.1, §4.4.4;
    /// the deprecated BGP_STATE_CHANGE, Appendix B.2.1).
    StateChange(StateChange),
    /// The TABLE_DUMP_V2 peer index table (RFC 6396 §4.3.1); the reader keeps it to resolve the
    /// peers of the RIB records that follow.
    PeerIndexTable(Arc<PeerIndexTable>),
    /// A TABLE_DUMP_V2 RIB record for one unicast prefix (RFC 6396 §4.3.2, §4.3.3, RFC 8050 §4).
    Rib(Rib),
    /// A legacy TABLE_DUMP entry (RFC 6396 §4.2).
    TableDump(TableDumpEntry),
    /// A record of a type, subtype or family the model does not carry; its bytes are in
    /// [`MrtRecord::raw`].
    NotModelled(NotModelled),
}

/// Why a record was not modelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotModelled {
    /// What the record is, as far as we know (`"BGP4MP subtype 2"`, `"type 11 OSPFv2"`, ...).
    pub what: String,
    /// Whether the reader skipped the record's type or subtype, or only its address family.
    pub scope: NotModelledScope,
}

/// What a record that is not modelled lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotModelledScope {
    /// A type or subtype the reader does not decode (OSPF, IS-IS, the deprecated types other
    /// than BGP, BGP4MP_ENTRY, BGP_SYNC, ...): its routes, if any, are not read.
    Record,
    /// A record the reader decodes, for an address family outside the route model
    /// (TABLE_DUMP_V2 multicast RIBs, RIB_GENERIC of other families).
    Family,
}

/// Counters of what a reader has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MrtStats {
    /// Records read (well formed or not).
    pub records: u64,
    /// Bytes of the decompressed stream consumed.
    pub bytes: u64,
    /// Records yielded as [`MrtBody::NotModelled`].
    pub not_modelled: u64,
    /// Records whose body was malformed.
    pub malformed: u64,
}

/// What went wrong reading an MRT stream. Offsets are in the decompressed stream.
#[derive(Debug, thiserror::Error)]
pub enum MrtError {
    /// The file cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Reading the underlying file failed. Ends the stream.
    #[error("read error at byte {offset}: {source}")]
    Io {
        /// Bytes of the stream read before the error.
        offset: u64,
        /// Why.
        source: io::Error,
    },
    /// The compressed data is corrupt or cut short. Ends the stream.
    #[error("corrupt {compression} data after byte {offset} of the decompressed stream: {source}")]
    Decompress {
        /// Bytes decompressed before the error.
        offset: u64,
        /// The compression in use.
        compression: Compression,
        /// What the decompressor said.
        source: io::Error,
    },
    /// The stream ends inside a record. Ends the stream.
    #[error("truncated MRT record at byte {offset}: {needed} bytes needed, {available} available")]
    Truncated {
        /// Offset of the record.
        offset: u64,
        /// Bytes the record needs (header, or header plus its declared length).
        needed: u64,
        /// Bytes left in the stream.
        available: u64,
    },
    /// A header that no MRT writer produces (a type outside the IANA registry, all zeros):
    /// the input is not MRT, or its data ends here. Ends the stream.
    #[error("not MRT data at byte {offset}: {reason}")]
    NotMrt {
        /// Offset of the header.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A header declares a record longer than any real one: the stream is not MRT or is
    /// corrupt beyond recovery. Ends the stream.
    #[error("MRT record at byte {offset} declares {length} bytes (limit {limit}): not MRT data")]
    Oversized {
        /// Offset of the record.
        offset: u64,
        /// Its declared length.
        length: u32,
        /// The limit ([`MAX_RECORD_LEN`]).
        limit: u32,
    },
    /// The body of one record is malformed; reading continues with the next record.
    #[error("malformed {kind} record at byte {offset} (at byte {at}): {reason}")]
    Malformed {
        /// Offset of the record.
        offset: u64,
        /// Offset of the offending field in the stream.
        at: u64,
        /// Type and subtype names.
        kind: String,
        /// What was wrong.
        reason: String,
    },
}

/// The largest record length accepted (64 MiB). The biggest real records, RIB entries of a
/// prefix seen by thousands of peers, are well under 1 MiB; a length beyond this is corruption.
pub const MAX_RECORD_LEN: u32 = 64 << 20;

impl MrtError {
    /// The stream offset the error refers to, if any (record start or failure point).
    pub fn offset(&self) -> Option<u64> {
        match self {
            Self::Open { .. } => None,
            Self::Io { offset, .. }
            | Self::Decompress { offset, .. }
            | Self::Truncated { offset, .. }
            | Self::Oversized { offset, .. }
            | Self::NotMrt { offset, .. }
            | Self::Malformed { offset, .. } => Some(*offset),
        }
    }

    /// Whether the reader stops after this error (every error but [`MrtError::Malformed`]).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Self::Malformed { .. })
    }

    /// A short stable name for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::Io { .. } => "io",
            Self::Decompress { .. } => "decompress",
            Self::Truncated { .. } => "truncated",
            Self::Oversized { .. } => "oversized",
            Self::NotMrt { .. } => "not-mrt",
            Self::Malformed { .. } => "malformed",
        }
    }
}
