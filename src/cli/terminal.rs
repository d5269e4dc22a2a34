//! The one sanitiser for text printed to a terminal or a log: tables, `explain`, `history`,
//! `feeds status`, warnings and errors all pass their outside text (feed records, lockfiles, zip
//! entry names, operator notes) through [`clean`], as notices pass theirs through one escaper per
//! format. Control characters and bidirectional overrides are shown escaped (`\n`, `\u{1b}`), so
//! a feed cannot move the cursor, recolour the screen or forge a line; values longer than a limit
//! are cut with an ellipsis, so one 70,000-character id cannot flood the screen.

use std::borrow::Cow;

/// The longest table cell, in characters, before it is cut.
pub const CELL: usize = 200;
/// The longest line of `explain`, a warning or an error message, before it is cut.
pub const LINE: usize = 2000;

/// `text` with control characters and bidi controls escaped, cut to `max` characters (the last
/// being `…`) when longer.
pub fn clean(text: &str, max: usize) -> Cow<'_, str> {
    let plain = text.chars().all(|c| !needs_escape(c));
    if plain && text.chars().nth(max).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut count = 0;
    for c in text.chars() {
        let piece = escape(c);
        let len = piece.chars().count();
        if count + len > max.saturating_sub(1) {
            out.push('…');
            return Cow::Owned(out);
        }
        out.push_str(&piece);
        count += len;
    }
    Cow::Owned(out)
}

/// Every line of a multi-line message cleaned on its own: the message's own line breaks stay.
pub fn clean_lines(text: &str, max: usize) -> String {
    text.split('\n')
        .map(|line| clean(line, max))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Control characters (C0, DEL, C1) and the Unicode bidirectional formatting characters that
/// reorder what a terminal shows (Trojan Source, CVE-2021-42574).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(c: char) -> Cow<'static, str> {
    match c {
        '\n' => Cow::Borrowed("\\n"),
        '\r' => Cow::Borrowed("\\r"),
        '\t' => Cow::Borrowed("\\t"),
        c if needs_escape(c) => Cow::Owned(format!("\\u{{{:x}}}", c as u32)),
        c => Cow::Owned(c.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(input: &str, max: usize, want: &str) {
        assert_eq!(clean(input, max), want, "clean({input:?}, {max})");
    }

    #[test]
    fn escapes_controls_and_bidi_and_cuts_long_values() {
        case("plain", 10, "plain");
        case("a\nb", 10, "a\\nb");
        case("\u{1b}[31mred", 20, "\\u{1b}[31mred");
        case("x\u{202e}y", 20, "x\\u{202e}y");
        case("\u{7f}\u{85}", 20, "\\u{7f}\\u{85}");
        case("abcdef", 4, "abc…");
        case("abcd", 4, "abcd");
        case("ñandú", 5, "ñandú");
        case("\u{1b}\u{1b}", 8, "\\u{1b}…");
        assert_eq!(clean(&"x".repeat(70_000), CELL).chars().count(), CELL);
    }

    #[test]
    fn clean_lines_keeps_the_message_lines() {
        assert_eq!(clean_lines("a\u{7}\nb", 10), "a\\u{7}\nb");
    }
}
