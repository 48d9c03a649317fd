//! Byte buffers (memory, calldata, return data) whose words may be abstract.
//!
//! Concrete bytes live in `bytes`; abstract byte ranges are listed in `sym`, sorted and
//! disjoint. A range written by one MSTORE of an abstract word keeps that word's label; any
//! other abstract range (a piece of a word, copied unknown data) is opaque.

use super::value::Value;
use alloy_primitives::U256;

/// Bytes reserved when a buffer first grows.
const FIRST_CAPACITY: usize = 1024;

/// An abstract byte range `[start, end)` holding `value` (a whole word when `end - start == 32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    value: Value,
}

/// A byte buffer with abstract ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Data {
    bytes: Vec<u8>,
    sym: Vec<Span>,
    /// Every byte from here on is unknown (a copy or store of unknown extent reached it), even
    /// where later writes landed.
    tail: Option<usize>,
}

impl Data {
    /// A concrete buffer.
    pub(crate) fn concrete(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
            sym: Vec::new(),
            tail: None,
        }
    }

    /// `len` bytes of `bytes` from `offset`, zero past its end (CODECOPY, EXTCODECOPY).
    pub(crate) fn concrete_slice(bytes: &[u8], offset: usize, len: usize) -> Self {
        let mut out = vec![0; len];
        if let Some(src) = bytes.get(offset..) {
            let n = src.len().min(len);
            out[..n].copy_from_slice(&src[..n]);
        }
        Self {
            bytes: out,
            sym: Vec::new(),
            tail: None,
        }
    }

    /// Length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether every byte is known.
    pub(crate) fn is_concrete(&self) -> bool {
        self.sym.is_empty() && self.tail.is_none()
    }

    /// Makes every byte from `offset` on unknown.
    pub(crate) fn set_tail(&mut self, offset: usize) {
        self.tail = Some(self.tail.map_or(offset, |t| t.min(offset)));
    }

    /// Whether some bytes are unknown from an offset on (so the size is unknown too).
    pub(crate) fn has_tail(&self) -> bool {
        self.tail.is_some()
    }

    /// The concrete bytes (abstract ranges read as zero).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Grows to at least `len` bytes (zero-filled).
    pub(crate) fn grow(&mut self, len: usize) {
        if self.bytes.len() < len {
            if self.bytes.capacity() == 0 {
                // Memory grows a word at a time: starting from a few words reallocated it
                // five times in a typical frame.
                self.bytes.reserve(len.max(FIRST_CAPACITY));
            }
            self.bytes.resize(len, 0);
        }
    }

    /// Whether any abstract range overlaps `[start, end)`.
    fn overlaps(&self, start: usize, end: usize) -> bool {
        self.sym.iter().any(|s| s.start < end && start < s.end)
    }

    /// Forgets abstract ranges inside `[start, end)`; pieces outside it become opaque.
    fn clear(&mut self, start: usize, end: usize) {
        if !self.overlaps(start, end) {
            return;
        }
        let mut kept = Vec::with_capacity(self.sym.len() + 1);
        for s in self.sym.drain(..) {
            if s.end <= start || end <= s.start {
                kept.push(s);
                continue;
            }
            if s.start < start {
                kept.push(Span {
                    start: s.start,
                    end: start,
                    value: Value::Opaque,
                });
            }
            if end < s.end {
                kept.push(Span {
                    start: end,
                    end: s.end,
                    value: Value::Opaque,
                });
            }
        }
        self.sym = kept;
    }

    fn insert(&mut self, span: Span) {
        let at = self.sym.partition_point(|s| s.start < span.start);
        self.sym.insert(at, span);
    }

    /// The 32-byte word at `offset` (zero past the end).
    pub(crate) fn word(&self, offset: usize) -> Value {
        let end = offset.saturating_add(32);
        if self.tail.is_some_and(|t| end > t) {
            return Value::Opaque;
        }
        if let Some(s) = self.sym.iter().find(|s| s.start < end && offset < s.end) {
            return if s.start == offset && s.end == end {
                s.value
            } else {
                Value::Opaque
            };
        }
        let mut buf = [0u8; 32];
        if offset < self.bytes.len() {
            let n = (self.bytes.len() - offset).min(32);
            buf[..n].copy_from_slice(&self.bytes[offset..offset + n]);
        }
        Value::Known(U256::from_be_bytes(buf))
    }

    /// Writes a word at `offset`, growing the buffer.
    pub(crate) fn set_word(&mut self, offset: usize, value: Value) {
        let end = offset + 32;
        self.grow(end);
        // Concrete memory, the common case, has no spans to clear.
        if !self.sym.is_empty() {
            self.clear(offset, end);
        }
        match value {
            Value::Known(w) => self.bytes[offset..end].copy_from_slice(&w.to_be_bytes::<32>()),
            other => {
                self.bytes[offset..end].fill(0);
                self.insert(Span {
                    start: offset,
                    end,
                    value: other,
                });
            }
        }
    }

    /// Writes the low byte of `value` at `offset`.
    pub(crate) fn set_byte(&mut self, offset: usize, value: Value) {
        self.grow(offset + 1);
        self.clear(offset, offset + 1);
        match value {
            Value::Known(w) => self.bytes[offset] = w.byte(0),
            _ => self.insert(Span {
                start: offset,
                end: offset + 1,
                value: Value::Opaque,
            }),
        }
    }

    /// `len` bytes from `offset`, zero-padded past the end.
    pub(crate) fn slice(&self, offset: usize, len: usize) -> Self {
        let mut out = Self {
            bytes: vec![0; len],
            sym: Vec::new(),
            tail: None,
        };
        if let Some(t) = self.tail
            && t < offset.saturating_add(len)
        {
            out.tail = Some(t.saturating_sub(offset));
        }
        if offset < self.bytes.len() {
            let n = (self.bytes.len() - offset).min(len);
            out.bytes[..n].copy_from_slice(&self.bytes[offset..offset + n]);
        }
        let end = offset.saturating_add(len);
        for s in &self.sym {
            if s.start < end && offset < s.end {
                let start = s.start.max(offset);
                let stop = s.end.min(end);
                let whole = start == s.start && stop == s.end;
                out.sym.push(Span {
                    start: start - offset,
                    end: stop - offset,
                    value: if whole { s.value } else { Value::Opaque },
                });
            }
        }
        out
    }

    /// Copies `src` into `[offset, offset + src.len())`, growing the buffer.
    pub(crate) fn write(&mut self, offset: usize, src: &Self) {
        let end = offset + src.len();
        self.grow(end);
        self.clear(offset, end);
        self.bytes[offset..end].copy_from_slice(&src.bytes);
        let cut = src.tail.unwrap_or(usize::MAX).min(src.len());
        for s in &src.sym {
            if s.start >= cut {
                continue;
            }
            let whole = s.end <= cut;
            self.insert(Span {
                start: s.start + offset,
                end: s.end.min(cut) + offset,
                value: if whole { s.value } else { Value::Opaque },
            });
        }
        if cut < src.len() {
            self.insert(Span {
                start: offset + cut,
                end,
                value: Value::Opaque,
            });
        }
    }

    /// Marks `[offset, offset + len)` unknown.
    pub(crate) fn write_opaque(&mut self, offset: usize, len: usize) {
        if len == 0 {
            return;
        }
        let end = offset + len;
        self.grow(end);
        self.clear(offset, end);
        self.bytes[offset..end].fill(0);
        self.insert(Span {
            start: offset,
            end,
            value: Value::Opaque,
        });
    }

    /// The concrete bytes of `[offset, offset + len)`, if none is abstract (zero past the end).
    pub(crate) fn concrete_range(
        &self,
        offset: usize,
        len: usize,
    ) -> Option<std::borrow::Cow<'_, [u8]>> {
        if self.tail.is_some_and(|t| t < offset.saturating_add(len)) {
            return None;
        }
        if self.overlaps(offset, offset.saturating_add(len)) {
            return None;
        }
        if offset.saturating_add(len) <= self.bytes.len() {
            Some(std::borrow::Cow::Borrowed(
                &self.bytes[offset..offset + len],
            ))
        } else {
            Some(std::borrow::Cow::Owned(self.slice(offset, len).bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abstract_words_keep_labels_until_overwritten() {
        let mut m = Data::default();
        m.set_word(0, Value::Slot(U256::from(3)));
        m.set_word(32, Value::Known(U256::from(7)));
        assert_eq!(m.word(0), Value::Slot(U256::from(3)));
        assert_eq!(m.word(32), Value::Known(U256::from(7)));
        assert_eq!(m.word(16), Value::Opaque);
        m.set_byte(0, Value::Known(U256::from(1)));
        assert_eq!(m.word(0), Value::Opaque);
        m.set_word(0, Value::Known(U256::from(9)));
        assert_eq!(m.word(0), Value::Known(U256::from(9)));
        assert!(m.is_concrete());
        let s = m.slice(32, 64);
        assert_eq!(s.word(0), Value::Known(U256::from(7)));
        assert_eq!(s.len(), 64);
    }

    #[test]
    fn unknown_tail_makes_later_bytes_opaque() {
        let mut m = Data::default();
        m.set_word(0, Value::Known(U256::from(1)));
        m.set_tail(32);
        m.set_word(64, Value::Known(U256::from(2)));
        assert_eq!(m.word(0), Value::Known(U256::from(1)));
        assert_eq!(m.word(64), Value::Opaque);
        assert!(!m.is_concrete());
        let s = m.slice(16, 32);
        assert_eq!(s.word(0), Value::Opaque);
        let mut n = Data::default();
        n.write(0, &m.slice(0, 96));
        assert_eq!(n.word(0), Value::Known(U256::from(1)));
        assert_eq!(n.word(64), Value::Opaque);
    }
}
