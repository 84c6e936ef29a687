//! Eight bytes at a time in a `u64` (SIMD within a register): the tests tokenizing and the
//! word table's keys make on every byte of the text, a handful of instructions per eight bytes.

const LANES: u64 = 0x0101_0101_0101_0101;

/// The top bit of each byte of `x` that lies in `lo..=hi`; `x` holds ASCII bytes only.
pub(super) fn bytes_in(x: u64, lo: u8, hi: u8) -> u64 {
    let from_lo = x + u64::from(0x80 - lo) * LANES;
    let above_hi = x + u64::from(0x7f - hi) * LANES;
    from_lo & !above_hi & (0x80 * LANES)
}

/// `x` with `bit` set in every byte (an ASCII letter's lower case is its capital with 0x20
/// set, so one range test then finds both cases).
pub(super) fn with_bit(x: u64, bit: u8) -> u64 {
    x | (u64::from(bit) * LANES)
}

/// The top bits of the eight bytes of `x`, gathered into bits 0..8.
pub(super) fn top_bits(x: u64) -> u64 {
    (x >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Eight bytes with ASCII capitals lower-cased, other bytes (UTF-8 too) kept: the standard
/// library's way.
pub(super) fn ascii_lower(x: u64) -> u64 {
    let heptets = x & (0x7f * LANES);
    let above_z = heptets + u64::from(0x80 - b'Z' - 1) * LANES;
    let from_a = heptets + u64::from(0x80 - b'A') * LANES;
    let upper = !x & (from_a ^ above_z) & (0x80 * LANES);
    x | (upper >> 2)
}

/// Whether any of the eight bytes of `x` is `b` (any bytes).
pub(super) fn has_byte(x: u64, b: u8) -> bool {
    let v = x ^ (u64::from(b) * LANES);
    v.wrapping_sub(LANES) & !v & (0x80 * LANES) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each function against the byte-by-byte test it stands for, on every byte value in
    /// every lane.
    #[test]
    fn each_agrees_with_the_test_byte_by_byte() {
        let samples = (0..=255u8).flat_map(|b| (0..8).map(move |lane| (b, lane)));
        for (b, lane) in samples {
            let mut bytes = *b"AzZa_9'\x80";
            bytes[lane] = b;
            let x = u64::from_le_bytes(bytes);
            let lowered = bytes.map(|c| c.to_ascii_lowercase());
            assert_eq!(ascii_lower(x).to_le_bytes(), lowered, "{bytes:?}");
            assert_eq!(has_byte(x, b'_'), bytes.contains(&b'_'), "{bytes:?}");
            if bytes.is_ascii() {
                let digits = bytes.map(|c| c.is_ascii_digit());
                let top = top_bits(bytes_in(x, b'0', b'9'));
                for (i, digit) in digits.iter().enumerate() {
                    assert_eq!(top >> i & 1 == 1, *digit, "{bytes:?}");
                }
                let letters = top_bits(bytes_in(with_bit(x, 0x20), b'a', b'z'));
                for (i, c) in bytes.iter().enumerate() {
                    assert_eq!(letters >> i & 1 == 1, c.is_ascii_alphabetic(), "{bytes:?}");
                }
            }
        }
    }
}
