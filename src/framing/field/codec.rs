//! [`FieldCodec`]: what every length-field encoding does. The encodings
//! (binary.rs, varint.rs, ascii.rs) implement it; the dispatch over them
//! (`Field`, in mod.rs) implements it too.

use crate::error::Result;

/// One way of writing a length value on the wire.
pub(crate) trait FieldCodec {
    /// The largest value the field can carry.
    fn max_value(&self) -> u64;
    /// Bytes the field of `value` takes.
    fn len_of(&self, value: u64) -> usize;
    /// Writes the field of `value` (at most `max_value`) at the start of `out`
    /// and returns its length; `NoSpace` if `out` is too short.
    fn write(&self, value: u64, out: &mut [u8]) -> Result<usize>;
    /// Reads the field at the start of `buf`: `Ok(None)` while it is not whole,
    /// `(bytes, value)` once it is, `BadFrame` as soon as a buffered byte makes it
    /// malformed; `TooBig` when it is well formed but its value exceeds 64 bits.
    fn read(&self, buf: &[u8]) -> Result<Option<(usize, u64)>>;
}
