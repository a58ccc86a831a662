//! Little-endian fields and HC's varints over untrusted bytes.

use super::TxError;

/// Appends a Bitcoin-style CompactSize integer, as HC's `WriteVarInt`.
pub(crate) fn write_var_int(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

pub(super) fn write_var_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_var_int(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A cursor over untrusted bytes.
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], TxError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or(TxError::Truncated { offset: self.pos })?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or(TxError::Truncated { offset: self.pos })?;
        self.pos = end;
        Ok(s)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], TxError> {
        let offset = self.pos;
        self.take(N)?
            .try_into()
            .map_err(|_| TxError::Truncated { offset })
    }

    pub(super) fn u8(&mut self) -> Result<u8, TxError> {
        Ok(self.array::<1>()?[0])
    }

    pub(super) fn u16(&mut self) -> Result<u16, TxError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(super) fn u32(&mut self) -> Result<u32, TxError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(super) fn i64(&mut self) -> Result<i64, TxError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// HC's `ReadVarInt`, which refuses non-canonical encodings.
    pub(super) fn var_int(&mut self) -> Result<u64, TxError> {
        let offset = self.pos;
        let (n, min) = match self.u8()? {
            0xfd => (u64::from(self.u16()?), 0xfd),
            0xfe => (u64::from(self.u32()?), 0x1_0000),
            0xff => (u64::from_le_bytes(self.array()?), 0x1_0000_0000),
            b => return Ok(u64::from(b)),
        };
        if n < min {
            return Err(TxError::NonCanonicalVarInt { offset });
        }
        Ok(n)
    }

    /// A count of items at least `min_size` bytes each, refused if they cannot fit.
    pub(super) fn count(&mut self, what: &'static str, min_size: usize) -> Result<usize, TxError> {
        let n = self.var_int()?;
        let remaining = self.buf.len() - self.pos.min(self.buf.len());
        let fits = (remaining / min_size) as u64;
        if n > fits {
            return Err(TxError::TooManyItems { what, count: n });
        }
        // n ≤ remaining bytes, so it fits in usize.
        usize::try_from(n).map_err(|_| TxError::TooManyItems { what, count: n })
    }

    pub(super) fn var_bytes(&mut self) -> Result<&'a [u8], TxError> {
        let offset = self.pos;
        let n = self.var_int()?;
        let n = usize::try_from(n).map_err(|_| TxError::Truncated { offset })?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_int_boundaries_round_trip() {
        for n in [
            0u64,
            0xfc,
            0xfd,
            0xffff,
            0x1_0000,
            0xffff_ffff,
            0x1_0000_0000,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_var_int(&mut out, n);
            let mut r = Reader { buf: &out, pos: 0 };
            assert_eq!(r.var_int(), Ok(n));
            assert_eq!(r.pos, out.len());
        }
        for bad in [
            &[0xfdu8, 0xfc, 0][..],
            &[0xfe, 0xff, 0xff, 0, 0],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
        ] {
            let mut r = Reader { buf: bad, pos: 0 };
            assert_eq!(r.var_int(), Err(TxError::NonCanonicalVarInt { offset: 0 }));
        }
    }
}
