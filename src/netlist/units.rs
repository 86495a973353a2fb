//! SPICE numbers: `1.5k`, `10kohm`, `2.5V`, `3meg`, `1e-3`, `4.7u`.
//!
//! Grammar: `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? letters*`.
//! The letters after the mantissa select a scale from their start
//! (case-insensitive): `t`=1e12 `g`=1e9 `meg`=1e6 `k`=1e3 `m`=1e-3 `mil`=25.4e-6
//! `u`=1e-6 (LTspice's `µ` too) `n`=1e-9 `p`=1e-12 `f`=1e-15 `a`=1e-18; any other letters are a unit
//! name and are ignored (`10kohm` = 1e4, `2.5V` = 2.5). As in every SPICE,
//! `1F` is one femto, and `1M` is one milli.

/// Length in bytes of the numeric mantissa (with exponent) at the start of `s`,
/// or 0 if `s` does not start with a number. A leading sign is not included.
pub fn mantissa_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        let j = i + 1;
        let mut k = j;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        digits += k - j;
        if digits > 0 {
            i = k;
        }
    }
    if digits == 0 {
        return 0;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut k = i + 1;
        if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
            k += 1;
        }
        let ds = k;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        if k > ds {
            i = k;
        }
    }
    i
}

/// The micro signs LTspice writes for `u`: MICRO SIGN U+00B5 and GREEK
/// SMALL LETTER MU U+03BC.
const MICRO: [char; 2] = ['\u{b5}', '\u{3bc}'];

/// Length in bytes of the suffix at the start of `s` (what follows a
/// mantissa): ASCII letters, after a micro sign if there is one.
pub fn suffix_len(s: &str) -> usize {
    let micro = MICRO
        .iter()
        .find(|m| s.starts_with(**m))
        .map_or(0, |m| m.len_utf8());
    micro
        + s[micro..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count()
}

/// Scale factor of a suffix (the letters following a mantissa).
pub fn suffix_scale(suffix: &str) -> f64 {
    if suffix.starts_with(MICRO) {
        return 1e-6;
    }
    let l = suffix.to_ascii_lowercase();
    if l.starts_with("meg") {
        return 1e6;
    }
    if l.starts_with("mil") {
        return 25.4e-6;
    }
    match l.as_bytes().first() {
        Some(b't') => 1e12,
        Some(b'g') => 1e9,
        Some(b'k') => 1e3,
        Some(b'm') => 1e-3,
        Some(b'u') => 1e-6,
        Some(b'n') => 1e-9,
        Some(b'p') => 1e-12,
        Some(b'f') => 1e-15,
        Some(b'a') => 1e-18,
        _ => 1.0,
    }
}

/// Parse a number with optional sign and suffix at the start of `s`.
/// Returns the value and the number of bytes consumed (mantissa, suffix letters).
pub fn parse_number_prefix(s: &str) -> Option<(f64, usize)> {
    let (sign, off) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, 1),
        Some(b'+') => (1.0, 1),
        _ => (1.0, 0),
    };
    let rest = &s[off..];
    let m = mantissa_len(rest);
    if m == 0 {
        return None;
    }
    let mant: f64 = rest[..m].parse().ok()?;
    let letters = suffix_len(&rest[m..]);
    let scale = suffix_scale(&rest[m..m + letters]);
    Some((sign * mant * scale, off + m + letters))
}

/// Parse a whole token as a number; `None` unless the entire token is consumed.
pub fn parse_number(s: &str) -> Option<f64> {
    match parse_number_prefix(s) {
        Some((v, n)) if n == s.len() => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn suffixes() {
        let cases = [
            ("1k", 1e3),
            ("10kohm", 1e4),
            ("2.5V", 2.5),
            ("3meg", 3e6),
            ("3MEG", 3e6),
            ("1m", 1e-3),
            ("1M", 1e-3),
            ("4.7u", 4.7e-6),
            ("1e-3", 1e-3),
            ("1E3", 1e3),
            ("1.5e2k", 1.5e5),
            (".5", 0.5),
            ("5.", 5.0),
            ("-2p", -2e-12),
            ("+3n", 3e-9),
            ("1f", 1e-15),
            ("2g", 2e9),
            ("1t", 1e12),
            ("1mil", 25.4e-6),
            ("7a", 7e-18),
            ("10ohm", 10.0),
            ("4.7\u{b5}", 4.7e-6),
            ("1\u{3bc}F", 1e-6),
            ("2\u{b5}s", 2e-6),
        ];
        for (s, v) in cases {
            let got = parse_number(s).unwrap_or_else(|| panic!("{s}"));
            assert!((got - v).abs() <= 1e-12 * v.abs(), "{s}: {got} vs {v}");
        }
        for bad in ["", "k", ".", "-", "e3", "1.2.3", "1k2"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
