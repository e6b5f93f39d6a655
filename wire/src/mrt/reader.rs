//! Reading records off a (possibly compressed) byte stream.

use bytes::{Bytes, BytesMut};
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::parser::MrtParser;
use super::types::MrtHeader;
use super::{MAX_RECORD_LEN, MrtBody, MrtError, MrtRecord, MrtStats};

/// The compression of an input, recognized by its first bytes (never by the file name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Uncompressed MRT.
    Plain,
    /// gzip (RFC 1952 magic `1f 8b`), possibly several concatenated members.
    Gzip,
    /// bzip2 (magic `BZh`), possibly several concatenated streams.
    Bzip2,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Plain => "plain",
            Self::Gzip => "gzip",
            Self::Bzip2 => "bzip2",
        })
    }
}

/// Wraps `input` in the decompressor its first bytes call for.
pub fn decompressed<R: Read + Send + 'static>(
    mut input: R,
) -> io::Result<(Compression, Box<dyn Read + Send>)> {
    let mut magic = [0u8; 3];
    let mut n = 0;
    while n < magic.len() {
        match input.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let compression = match &magic[..n] {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [b'B', b'Z', b'h'] => Compression::Bzip2,
        _ => Compression::Plain,
    };
    let stream = io::Cursor::new(magic).take(n as u64).chain(input);
    let boxed: Box<dyn Read + Send> = match compression {
        Compression::Plain => Box::new(stream),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(stream)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(stream)),
    };
    Ok((compression, boxed))
}

/// One record as read, before its body is parsed: enough to copy or replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    /// Offset of the record in the decompressed stream.
    pub offset: u64,
    /// The common header.
    pub header: MrtHeader,
    /// The record, header included. Shares the reader's buffer: no copy, no allocation
    /// per record.
    pub raw: Bytes,
}

/// How much is asked of the decompressor at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Reads MRT records from a file or any byte stream, plain, gzip or bzip2.
///
/// As an [`Iterator`] it yields parsed [`MrtRecord`]s; [`MrtReader::next_raw`] yields the
/// records without parsing them. After an error for which [`MrtError::is_fatal`] holds the
/// iterator ends; after a [`MrtError::Malformed`] it goes on with the next record.
pub struct MrtReader {
    src: Box<dyn Read + Send>,
    compression: Compression,
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    offset: u64,
    eof: bool,
    done: bool,
    parser: MrtParser,
    stats: MrtStats,
}

impl MrtReader {
    /// Opens an MRT file, compressed or not.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, MrtError> {
        let path = path.as_ref();
        let file =
            File::open(path).map_err(|source| MrtError::Open { path: path.into(), source })?;
        Self::new(file).map_err(|e| match e {
            MrtError::Io { source, .. } => MrtError::Open { path: path.into(), source },
            e => e,
        })
    }

    /// Reads MRT from `input`, compressed or not.
    pub fn new(input: impl Read + Send + 'static) -> Result<Self, MrtError> {
        let (compression, src) =
            decompressed(input).map_err(|source| MrtError::Io { offset: 0, source })?;
        Ok(Self {
            src,
            compression,
            buf: BytesMut::with_capacity(4 * READ_CHUNK),
            offset: 0,
            eof: false,
            done: false,
            parser: MrtParser::new(),
            stats: MrtStats::default(),
        })
    }

    /// The compression recognized.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// What has been read so far.
    pub fn stats(&self) -> MrtStats {
        self.stats
    }

    /// The body parser (and the PEER_INDEX_TABLE it holds).
    pub fn parser(&self) -> &MrtParser {
        &self.parser
    }

    /// The next record, unparsed. `None` at the end of the stream or after a fatal error.
    pub fn next_raw(&mut self) -> Option<Result<RawRecord, MrtError>> {
        if self.done {
            return None;
        }
        let r = self.read_record();
        if matches!(r, None | Some(Err(_))) {
            self.done = true;
        }
        r
    }

    fn read_record(&mut self) -> Option<Result<RawRecord, MrtError>> {
        if let Err(e) = self.fill(MrtHeader::LEN) {
            return Some(Err(e));
        }
        if self.buf.is_empty() {
            return None;
        }
        let offset = self.offset;
        let available = self.buf.len() as u64;
        let Some(fixed) = self.buf.first_chunk::<{ MrtHeader::LEN }>() else {
            return Some(Err(MrtError::Truncated { offset, needed: 12, available }));
        };
        if fixed.iter().all(|&b| b == 0) {
            let reason = "a zero-filled header (timestamp 0, type 0, length 0)".into();
            return Some(Err(MrtError::NotMrt { offset, reason }));
        }
        let mut header = MrtHeader::parse(fixed);
        if !header.kind().registered() {
            let reason = format!("type {} is not in the MRT type registry", header.mrt_type);
            return Some(Err(MrtError::NotMrt { offset, reason }));
        }
        if header.length > MAX_RECORD_LEN {
            let (length, limit) = (header.length, MAX_RECORD_LEN);
            return Some(Err(MrtError::Oversized { offset, length, limit }));
        }
        let total = MrtHeader::LEN + header.length as usize;
        if let Err(e) = self.fill(total) {
            return Some(Err(e));
        }
        if self.buf.len() < total {
            let (needed, available) = (total as u64, self.buf.len() as u64);
            return Some(Err(MrtError::Truncated { offset, needed, available }));
        }
        let raw = self.buf.split_to(total).freeze();
        if header.kind().extended_timestamp() {
            header.microseconds =
                raw.get(12..16).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        }
        self.offset += total as u64;
        self.stats.records += 1;
        self.stats.bytes = self.offset;
        Some(Ok(RawRecord { offset, header, raw }))
    }

    /// Reads until `buf` holds `n` bytes or the stream ends.
    fn fill(&mut self, n: usize) -> Result<(), MrtError> {
        while self.buf.len() < n && !self.eof {
            let len = self.buf.len();
            let want = (n - len).clamp(READ_CHUNK, 4 * READ_CHUNK);
            self.buf.resize(len + want, 0);
            let read = loop {
                match self.src.read(&mut self.buf[len..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    r => break r,
                }
            };
            match read {
                Ok(k) => {
                    self.buf.truncate(len + k);
                    self.eof = k == 0;
                }
                Err(source) => {
                    self.buf.truncate(len);
                    let offset = self.offset + len as u64;
                    return Err(match self.compression {
                        Compression::Plain => MrtError::Io { offset, source },
                        compression => MrtError::Decompress { offset, compression, source },
                    });
                }
            }
        }
        Ok(())
    }
}

impl Iterator for MrtReader {
    type Item = Result<MrtRecord, MrtError>;

    fn next(&mut self) -> Option<Self::Item> {
        let RawRecord { offset, header, raw } = match self.next_raw()? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        Some(match self.parser.parse(&header, &raw, offset) {
            Ok(body) => {
                if matches!(body, MrtBody::NotModelled(_)) {
                    self.stats.not_modelled += 1;
                }
                Ok(MrtRecord { offset, header, raw, body })
            }
            Err(e) => {
                self.stats.malformed += 1;
                Err(e)
            }
        })
    }
}

impl fmt::Debug for MrtReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MrtReader")
            .field("compression", &self.compression)
            .field("offset", &self.offset)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}
