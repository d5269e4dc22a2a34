//! JSON written straight into a byte buffer, for the documents a fleet's run writes by the
//! gigabyte (plan.json's rows, the windows it and the ledger both write): what serde_json
//! would write, without its per-value formatting machinery. A string that needs escaping is
//! escaped by serde_json itself, so the bytes are the same either way.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// Needs no escaping in JSON. Every byte is looked at (no early return), which lets the
/// compiler check many at once: a fleet's plan asks this of tens of millions of short strings.
pub fn plain(s: &str) -> bool {
    let escaped = (s.bytes()).fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    !escaped
}

/// `s` as a JSON string.
pub fn string(buf: &mut Vec<u8>, s: &str) {
    if plain(s) {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

/// `,"name":`.
pub fn key(buf: &mut Vec<u8>, name: &str) {
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
}

/// `,"name":` and `s` as a JSON string.
pub fn key_str(buf: &mut Vec<u8>, name: &str, s: &str) {
    key(buf, name);
    string(buf, s);
}

/// `,"name":` and `s` as a JSON string, or `null`.
pub fn key_opt(buf: &mut Vec<u8>, name: &str, s: Option<&str>) {
    key(buf, name);
    match s {
        Some(s) => string(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

/// `true` or `false`.
pub fn boolean(buf: &mut Vec<u8>, b: bool) {
    buf.extend_from_slice(if b { b"true" } else { b"false" });
}

/// `n` in decimal.
pub fn number(buf: &mut Vec<u8>, n: u32) {
    let mut digits = [0u8; 10];
    let at = digits_of(&mut digits, n.into());
    // Byte by byte: a call to copy a few bytes costs more than the bytes (two per plan row).
    buf.reserve(digits.len() - at);
    for &d in &digits[at..] {
        buf.push(d);
    }
}

/// `n` in decimal.
pub fn integer(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    let mut digits = [0u8; 20];
    let at = digits_of(&mut digits, n.unsigned_abs());
    buf.extend_from_slice(&digits[at..]);
}

/// Writes `n`'s digits at the end of `digits`; where they start.
fn digits_of(digits: &mut [u8], mut n: u64) -> usize {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return at;
        }
    }
}

/// `t` as its `Serialize` writes it (RFC 3339, `Z`, fractional seconds only when it has them).
pub fn instant(buf: &mut Vec<u8>, t: &DateTime<Utc>) {
    let naive = t.naive_utc();
    if !(0..=9999).contains(&naive.year()) || naive.nanosecond() != 0 {
        let _ = serde_json::to_writer(&mut *buf, t);
        return;
    }
    let mut text = *b"\"0000-00-00T00:00:00Z\"";
    crate::utc::put(&mut text[1..], &naive);
    buf.extend_from_slice(&text);
}

/// `,"name":` and [`instant`].
pub fn key_instant(buf: &mut Vec<u8>, name: &str, t: &DateTime<Utc>) {
    key(buf, name);
    instant(buf, t);
}

/// `items` as a JSON array, each written by `each`.
pub fn array<T>(buf: &mut Vec<u8>, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    buf.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        each(buf, item);
    }
    buf.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde(v: impl serde::Serialize) -> String {
        serde_json::to_string(&v).unwrap()
    }

    fn written(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut buf = Vec::new();
        f(&mut buf);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn strings_numbers_and_instants_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "plain",
            "a \"quote\"",
            "back\\slash",
            "tab\there",
            "\u{1}",
            "é ✓",
            "\u{7f}",
        ] {
            assert_eq!(written(|b| string(b, s)), serde(s), "{s:?}");
        }
        // Long ones, the one byte to escape anywhere in them (the check looks at many at once).
        for at in [0, 1, 31, 32, 63, 64, 65, 127, 199] {
            for odd in ['"', '\\', '\n', '\u{1f}'] {
                let mut s = "p".repeat(200);
                s.insert(at, odd);
                assert!(!plain(&s), "{at} {odd:?}");
                assert_eq!(written(|b| string(b, &s)), serde(&s), "{at} {odd:?}");
            }
        }
        assert!(plain(&"é ✓ \u{7f} ~".repeat(40)));
        for n in [0, 7, 10, 99, 4_294_967_295u32] {
            assert_eq!(written(|b| number(b, n)), serde(n));
        }
        for n in [0, -1, 15, i64::MIN, i64::MAX] {
            assert_eq!(written(|b| integer(b, n)), serde(n));
        }
        let instants = [
            "2026-10-27T11:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-03-29T01:00:00.5Z",
            "2026-03-29T01:00:00.123456789Z",
            "2016-12-31T23:59:60Z",
        ];
        for text in instants {
            let t: DateTime<Utc> = text.parse().unwrap();
            assert_eq!(written(|b| instant(b, &t)), serde(t), "{text}");
        }
        let far = DateTime::<Utc>::from_timestamp(253_402_300_800, 0).unwrap();
        assert_eq!(written(|b| instant(b, &far)), serde(far));
        let before = DateTime::<Utc>::from_timestamp(-62_167_219_201, 0).unwrap();
        assert_eq!(written(|b| instant(b, &before)), serde(before));
    }
}
