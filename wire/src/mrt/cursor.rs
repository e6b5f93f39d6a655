//! A bounds-checked reader over one record, for the body parsers.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A malformed field of a record body: where (offset within the record) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BodyError {
    /// Offset of the field from the start of the record (header included).
    pub at: usize,
    /// What was wrong.
    pub reason: String,
}

impl BodyError {
    pub(crate) fn new(at: usize, reason: impl Into<String>) -> Self {
        Self { at, reason: reason.into() }
    }
}

/// Reads big-endian fields from a record, failing with the field's name and offset.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `buf` (the whole record) starting at `pos` (the body).
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        Self { buf, pos }
    }

    /// Current offset within the record.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Nothing is left after `last`, the record's last field.
    pub(crate) fn end(&self, last: &str) -> Result<(), BodyError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(BodyError::new(self.pos, format!("{n} bytes after the {last} field"))),
        }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], BodyError> {
        match self.buf.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(BodyError::new(
                self.pos,
                format!("{what} needs {n} bytes, {} left in the record", self.remaining()),
            )),
        }
    }

    /// Everything left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        s
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, BodyError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, BodyError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, BodyError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A 2- or 4-octet AS number.
    pub(crate) fn asn(&mut self, asn4: bool, what: &str) -> Result<u32, BodyError> {
        if asn4 { self.u32(what) } else { self.u16(what).map(u32::from) }
    }

    pub(crate) fn ipv4(&mut self, what: &str) -> Result<Ipv4Addr, BodyError> {
        let b = self.take(4, what)?;
        Ok(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    }

    pub(crate) fn ipv6(&mut self, what: &str) -> Result<Ipv6Addr, BodyError> {
        let b: [u8; 16] = self.take(16, what)?.try_into().expect("16 bytes");
        Ok(Ipv6Addr::from(b))
    }

    /// An address of the given AFI (1 IPv4, 2 IPv6).
    pub(crate) fn ip(&mut self, afi: u16, what: &str) -> Result<IpAddr, BodyError> {
        match afi {
            1 => self.ipv4(what).map(IpAddr::V4),
            2 => self.ipv6(what).map(IpAddr::V6),
            _ => Err(BodyError::new(self.pos, format!("unsupported address family {afi}"))),
        }
    }

    /// A prefix in the NLRI encoding (RFC 4271 §4.3: length in bits, then the octets that
    /// hold it). Bits past the length are kept as written.
    pub(crate) fn prefix(&mut self, afi: u16, what: &str) -> Result<IpNet, BodyError> {
        let at = self.pos;
        let bits = self.u8(what)?;
        let max = if afi == 1 { 32 } else { 128 };
        if bits > max {
            return Err(BodyError::new(at, format!("{what} length {bits} exceeds {max} bits")));
        }
        let octets = self.take(usize::from(bits).div_ceil(8), what)?;
        Ok(if afi == 1 {
            let mut a = [0u8; 4];
            a[..octets.len()].copy_from_slice(octets);
            IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), bits).expect("length checked"))
        } else {
            let mut a = [0u8; 16];
            a[..octets.len()].copy_from_slice(octets);
            IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), bits).expect("length checked"))
        })
    }
}
