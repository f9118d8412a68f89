//! A length line: the line that says how long the next body is, as RESP's `$5\r\n` and an
//! HTTP chunk's `1a;ext\r\n` do: an optional prefix character, a decimal or hexadecimal
//! number of 1..=`max_digits` digits, optionally `;` and an extension (HTTP chunks), then a
//! terminator. Sans-IO: [`LengthLine::parse`] looks at the bytes buffered so far and says
//! "a whole line, announcing this", "not yet" or "malformed"; a reader then takes the body
//! as one raw frame (`FrameBuffer::next_length`).
//!
//! What the number means, and what follows the line, is the spec's:
//!
//! - a length (the default): the body is `value + trailer` bytes (RESP's `$5\r\nhello\r\n`:
//!   trailer 2, the body's CR LF);
//! - [`LengthLineSpec::null`]: `-1` is accepted as "no value" (RESP's `$-1\r\n` and
//!   `*-1\r\n`): parsed as [`LineValue::Null`], no body;
//! - [`LengthLineSpec::count`]: the number counts what follows (RESP's `*3\r\n`): no body;
//! - [`LengthLineSpec::zero_ends`]: a value of 0 has no body (HTTP's last chunk `0\r\n`,
//!   after which trailer fields and an empty line come as lines).
//!
//! Guarantees, as every format here: no panic and no overflow on any input, no allocation,
//! and the same answer whatever the cut: `NeedMore` until the line is whole, a malformed
//! line refused as soon as the byte that makes it malformed is buffered (`BadFrame`: a
//! wrong prefix, no digit, more than `max_digits` digits, a byte that is neither a digit,
//! `;` where allowed, nor the terminator, a value over 64 bits, an extension longer than
//! [`EXT_MAX`]), a value over `max_len` refused once the line is whole (`TooBig`). What a
//! line announces is never allocated: the caller receives the body as it arrives.

use super::limits::{MAX_DELIMITER_LEN, MAX_DIGITS, OVERHEAD_MAX};
use crate::error::{Error, Result};

/// The longest extension (the bytes after `;`, up to the terminator) a line may carry.
pub const EXT_MAX: usize = 4096;

/// How a length line is written (see the module docs); made into a [`LengthLine`] by
/// [`LengthLine::new`], which checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthLineSpec<'a> {
    /// The character before the number (`$` for a RESP bulk string), or `None`.
    pub prefix: Option<u8>,
    /// Hexadecimal digits (either case) instead of decimal.
    pub hex: bool,
    /// What ends the line: 1..=16 bytes (`"\r\n"`).
    pub terminator: &'a [u8],
    /// The most digits the number may have: 1..=20 (leading zeros count).
    pub max_digits: usize,
    /// Bytes after the body that belong to it (RESP's CR LF after a bulk string: 2);
    /// at most 32.
    pub trailer: usize,
    /// The largest value accepted (`TooBig` above it).
    pub max_len: u64,
    /// `;` and an extension of up to [`EXT_MAX`] bytes may follow the number (HTTP
    /// chunk extensions); they are skipped.
    pub extensions: bool,
    /// `-1` means "no value" ([`LineValue::Null`], no body).
    pub null: bool,
    /// The number is a count, not a length: no body follows.
    pub count: bool,
    /// A value of 0 has no body.
    pub zero_ends: bool,
}

/// A checked length-line spec (see [`LengthLineSpec`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthLine {
    prefix: Option<u8>,
    radix: u32,
    term: [u8; MAX_DELIMITER_LEN],
    term_len: usize,
    max_digits: usize,
    trailer: usize,
    max_len: u64,
    extensions: bool,
    null: bool,
    count: bool,
    zero_ends: bool,
}

/// What a whole line said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineValue {
    /// The number.
    Value(u64),
    /// `-1` under [`LengthLineSpec::null`].
    Null,
}

/// A whole, valid line at the start of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedLine {
    /// Bytes of the line, terminator included (to consume).
    pub line_len: usize,
    /// What it said.
    pub value: LineValue,
    /// The raw frame that follows (`value + trailer` bytes), or `None` when no body
    /// follows (a null, a count, a zero under `zero_ends`).
    pub body: Option<usize>,
}

impl LengthLine {
    /// `Invalid` for a spec that cannot work: a terminator of 0 or more than 16 bytes, or
    /// one that starts with a digit of the base, with `;` (under `extensions`) or `-`
    /// (under `null`): bytes the parser could not tell apart; `max_digits` outside
    /// 1..=20; a trailer over 32 bytes; a prefix that is a digit of the base.
    pub fn new(spec: LengthLineSpec<'_>) -> Result<LengthLine> {
        let radix: u32 = if spec.hex { 16 } else { 10 };
        let is_digit = |b: u8| char::from(b).is_digit(radix);
        let first = *spec.terminator.first().ok_or(Error::Invalid)?;
        if spec.terminator.len() > MAX_DELIMITER_LEN
            || is_digit(first)
            || (spec.extensions && first == b';')
            || (spec.null && first == b'-')
            || spec.max_digits == 0
            || spec.max_digits > MAX_DIGITS
            || spec.trailer > OVERHEAD_MAX
            || spec.prefix.map_or(false, is_digit)
        {
            return Err(Error::Invalid);
        }
        let mut term = [0u8; MAX_DELIMITER_LEN];
        term.get_mut(..spec.terminator.len())
            .ok_or(Error::Invalid)?
            .copy_from_slice(spec.terminator);
        Ok(LengthLine {
            prefix: spec.prefix,
            radix,
            term,
            term_len: spec.terminator.len(),
            max_digits: spec.max_digits,
            trailer: spec.trailer,
            max_len: spec.max_len,
            extensions: spec.extensions,
            null: spec.null,
            count: spec.count,
            zero_ends: spec.zero_ends,
        })
    }

    /// The terminator.
    pub fn terminator(&self) -> &[u8] {
        self.term.get(..self.term_len).unwrap_or(&[])
    }

    /// Looks at the start of `buf`: `Ok(Some(line))` when a whole valid line is there,
    /// `Ok(None)` when more bytes are needed, `BadFrame` / `TooBig` as the module docs say.
    /// Bytes after the line are not looked at.
    pub fn parse(&self, buf: &[u8]) -> Result<Option<ParsedLine>> {
        let mut at = 0;
        if let Some(p) = self.prefix {
            match buf.first() {
                None => return Ok(None),
                Some(&b) if b == p => at = 1,
                Some(_) => return Err(Error::BadFrame),
            }
        }
        if self.null && buf.get(at) == Some(&b'-') {
            return match buf.get(at + 1) {
                None => Ok(None),
                Some(b'1') => self.end(buf, at + 2, LineValue::Null),
                Some(_) => Err(Error::BadFrame),
            };
        }
        let mut value: u64 = 0;
        let mut digits = 0;
        while let Some(&b) = buf.get(at) {
            let d = match char::from(b).to_digit(self.radix) {
                Some(d) => d,
                None => break,
            };
            digits += 1;
            if digits > self.max_digits {
                return Err(Error::BadFrame);
            }
            value = value
                .checked_mul(u64::from(self.radix))
                .and_then(|v| v.checked_add(u64::from(d)))
                .ok_or(Error::BadFrame)?;
            at += 1;
        }
        if at == buf.len() {
            return Ok(None);
        }
        if digits == 0 {
            return Err(Error::BadFrame);
        }
        self.end(buf, at, LineValue::Value(value))
    }

    /// The rest of the line from `at` (after the number): an extension where allowed,
    /// then the terminator.
    fn end(&self, buf: &[u8], mut at: usize, value: LineValue) -> Result<Option<ParsedLine>> {
        let term = self.terminator();
        let rest = buf.get(at..).unwrap_or(&[]);
        if self.extensions && rest.first() == Some(&b';') {
            // The extension runs to the first terminator, at most EXT_MAX bytes after ';'.
            let window = rest.get(1..).unwrap_or(&[]);
            let reach = window.len().min(EXT_MAX.saturating_add(term.len()));
            match memchr::memmem::find(&window[..reach], term) {
                Some(off) => at = at.saturating_add(1).saturating_add(off),
                None if window.len() >= EXT_MAX.saturating_add(term.len()) => {
                    return Err(Error::BadFrame)
                }
                None => return Ok(None),
            }
        }
        let rest = buf.get(at..).unwrap_or(&[]);
        let n = rest.len().min(term.len());
        if rest.get(..n) != term.get(..n) {
            return Err(Error::BadFrame);
        }
        if n < term.len() {
            return Ok(None);
        }
        let body = match value {
            LineValue::Null => None,
            LineValue::Value(v) if v > self.max_len => return Err(Error::TooBig),
            LineValue::Value(_) if self.count => None,
            LineValue::Value(0) if self.zero_ends => None,
            LineValue::Value(v) => Some(
                usize::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_add(self.trailer))
                    .ok_or(Error::TooBig)?,
            ),
        };
        Ok(Some(ParsedLine {
            line_len: at + term.len(),
            value,
            body,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(prefix: Option<u8>, hex: bool) -> LengthLineSpec<'static> {
        LengthLineSpec {
            prefix,
            hex,
            terminator: b"\r\n",
            max_digits: 10,
            trailer: 2,
            max_len: 512 << 20,
            extensions: false,
            null: false,
            count: false,
            zero_ends: false,
        }
    }

    fn resp() -> LengthLine {
        LengthLine::new(LengthLineSpec {
            null: true,
            ..spec(Some(b'$'), false)
        })
        .unwrap()
    }

    fn chunk() -> LengthLine {
        LengthLine::new(LengthLineSpec {
            extensions: true,
            zero_ends: true,
            max_digits: 16,
            ..spec(None, true)
        })
        .unwrap()
    }

    /// Every cut of `line` before its end needs more; the whole line gives `want`, with
    /// the bytes after it left alone.
    fn whole_at_every_cut(l: &LengthLine, line: &[u8], want: (LineValue, Option<usize>)) {
        for cut in 0..line.len() {
            assert_eq!(l.parse(&line[..cut]), Ok(None), "{:?} cut {}", line, cut);
        }
        let mut more = line.to_vec();
        more.extend_from_slice(b"hello\r\n");
        let parsed = ParsedLine {
            line_len: line.len(),
            value: want.0,
            body: want.1,
        };
        assert_eq!(l.parse(line), Ok(Some(parsed)));
        assert_eq!(l.parse(&more), Ok(Some(parsed)));
    }

    /// Every cut of `line` that holds the byte at `bad` gives `err`; shorter ones need more.
    fn refused_from(l: &LengthLine, line: &[u8], bad: usize, err: Error) {
        for cut in 0..=line.len() {
            let want = if cut > bad { Err(err) } else { Ok(None) };
            assert_eq!(l.parse(&line[..cut]), want, "{:?} cut {}", line, cut);
        }
    }

    #[test]
    fn resp_bulk_lengths_and_the_null_bulk_string() {
        let l = resp();
        whole_at_every_cut(&l, b"$5\r\n", (LineValue::Value(5), Some(7)));
        whole_at_every_cut(&l, b"$0\r\n", (LineValue::Value(0), Some(2)));
        whole_at_every_cut(&l, b"$-1\r\n", (LineValue::Null, None));
        whole_at_every_cut(&l, b"$0000000012\r\n", (LineValue::Value(12), Some(14)));
        refused_from(&l, b"*5\r\n", 0, Error::BadFrame);
        refused_from(&l, b"$\r\n", 1, Error::BadFrame);
        refused_from(&l, b"$-2\r\n", 2, Error::BadFrame);
        refused_from(&l, b"$5x\r\n", 2, Error::BadFrame);
        refused_from(&l, b"$5\rx", 3, Error::BadFrame);
        refused_from(&l, b"$5\n", 2, Error::BadFrame);
        refused_from(&l, b"$1a\r\n", 2, Error::BadFrame);
        // Eleven digits: refused at the eleventh, whatever its value.
        refused_from(&l, b"$00000000001\r\n", 11, Error::BadFrame);
        // Over max_len: known once the line is whole, never allocated.
        refused_from(&l, b"$536870913\r\n", 11, Error::TooBig);
        whole_at_every_cut(
            &l,
            b"$536870912\r\n",
            (LineValue::Value(512 << 20), Some((512 << 20) + 2)),
        );
        // Without `null`, -1 is a bad character.
        let plain = LengthLine::new(spec(Some(b'$'), false)).unwrap();
        refused_from(&plain, b"$-1\r\n", 1, Error::BadFrame);
    }

    #[test]
    fn resp_array_counts_have_no_body() {
        let l = LengthLine::new(LengthLineSpec {
            count: true,
            null: true,
            trailer: 0,
            ..spec(Some(b'*'), false)
        })
        .unwrap();
        whole_at_every_cut(&l, b"*3\r\n", (LineValue::Value(3), None));
        whole_at_every_cut(&l, b"*-1\r\n", (LineValue::Null, None));
    }

    #[test]
    fn http_chunk_sizes_extensions_and_the_last_chunk() {
        let l = chunk();
        whole_at_every_cut(&l, b"1a\r\n", (LineValue::Value(26), Some(28)));
        whole_at_every_cut(&l, b"1A;name=value\r\n", (LineValue::Value(26), Some(28)));
        whole_at_every_cut(
            &l,
            b"FFfFFF\r\n",
            (LineValue::Value(0xff_ffff), Some(0x100_0001)),
        );
        // 512 MiB + 1: over max_len, known once the line is whole.
        refused_from(&l, b"20000001\r\n", 9, Error::TooBig);
        whole_at_every_cut(&l, b"0\r\n", (LineValue::Value(0), None));
        whole_at_every_cut(&l, b"0;last\r\n", (LineValue::Value(0), None));
        refused_from(&l, b"1g\r\n", 1, Error::BadFrame);
        refused_from(&l, b";x\r\n", 0, Error::BadFrame);
        // An extension longer than EXT_MAX: refused once EXT_MAX + 2 bytes follow ';'
        // without a terminator.
        let mut long = b"5;".to_vec();
        long.extend(std::iter::repeat(b'x').take(EXT_MAX + 2));
        assert_eq!(l.parse(&long[..long.len() - 1]), Ok(None));
        assert_eq!(l.parse(&long), Err(Error::BadFrame));
        // Seventeen hex digits, and a value over 64 bits within the digit bound.
        refused_from(&l, b"00000000000000001\r\n", 16, Error::BadFrame);
        let wide = LengthLine::new(LengthLineSpec {
            max_digits: 20,
            max_len: u64::MAX,
            ..spec(None, true)
        })
        .unwrap();
        refused_from(&wide, b"10000000000000000\r\n", 16, Error::BadFrame);
        // Without `extensions`, ';' is a bad character.
        let plain = LengthLine::new(spec(None, true)).unwrap();
        refused_from(&plain, b"1a;x\r\n", 2, Error::BadFrame);
    }

    #[test]
    fn specs_that_cannot_work_are_refused() {
        let bad = |s: LengthLineSpec<'static>| assert_eq!(LengthLine::new(s), Err(Error::Invalid));
        bad(LengthLineSpec {
            terminator: b"",
            ..spec(None, false)
        });
        bad(LengthLineSpec {
            terminator: &[b'\n'; 17],
            ..spec(None, false)
        });
        bad(LengthLineSpec {
            terminator: b"a",
            ..spec(None, true)
        });
        bad(LengthLineSpec {
            max_digits: 0,
            ..spec(None, false)
        });
        bad(LengthLineSpec {
            max_digits: 21,
            ..spec(None, false)
        });
        bad(LengthLineSpec {
            trailer: 33,
            ..spec(None, false)
        });
        bad(spec(Some(b'7'), false));
        assert!(LengthLine::new(spec(Some(b'a'), false)).is_ok());
        assert_eq!(resp().terminator(), b"\r\n");
    }
}
