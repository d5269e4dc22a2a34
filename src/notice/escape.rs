//! Untrusted text. Advisory summaries come from feeds, and component, service and customer names
//! from operators' files and lockfiles; any of them may carry markup, links or line breaks meant
//! to forge a mail header. Two layers keep them inert:
//!
//! 1. [`clean`], when the view model is built: control characters and line breaks become single
//!    spaces, and URLs are defanged (`http[:]//`, `www[.]`), so no format, and no mail client
//!    that links URLs in plain text, turns them into links. The `json` body carries this text.
//! 2. Each template format's escape function, applied to every `{{value}}`: HTML entities for
//!    `html`, backslash escapes for `md`; `txt` has nothing to escape once the text is clean.
//!    The `ics` writer escapes TEXT values itself (RFC 5545 3.3.11), and the `json` body has
//!    `<`, `>` and `&` as `\u` escapes ([`json`]).

/// The longest untrusted text a notice carries, in characters.
const MAX_CHARS: usize = 400;

/// `s` as one line of inert text: whitespace and control characters collapsed to single spaces,
/// URLs defanged, at most [`MAX_CHARS`] characters.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_CHARS * 4));
    let mut pending_space = false;
    for (i, c) in s.chars().enumerate() {
        if i >= MAX_CHARS {
            out.push('…');
            break;
        }
        if c.is_whitespace() || c.is_control() || is_invisible(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    defang(&out)
}

/// Format characters that hide or reorder text (zero-width spaces, bidirectional overrides).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `http://x` -> `http[:]//x`, `www.x` -> `www[.]x`: still readable, no longer a link.
fn defang(s: &str) -> String {
    let s = s.replace("://", "[:]//");
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.to_ascii_lowercase().find("www.") {
        let at_word_start = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&rest[..i + 3]);
        out.push_str(if at_word_start { "[.]" } else { "." });
        rest = &rest[i + 4..];
    }
    out.push_str(rest);
    out
}

/// The `txt` escape: control characters (a smuggled `\r\nBCC:`) become spaces.
pub fn text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The `md` escape: a backslash before every character that could open emphasis, code, a link,
/// an image, an autolink, raw HTML, an entity or a table cell, so the value renders as the
/// literal text it is. (URLs are already defanged by [`clean`], so none can autolink.)
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.push(' ');
        } else if "\\`*_{}[]<>#!|~&".contains(c) {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// The `json` body, safe to embed in HTML or a `<script>` block as it is: `<`, `>` and `&` as
/// `\u` escapes (as Go's encoding/json writes them). They occur only inside JSON strings, so
/// the document's meaning is unchanged.
pub fn json(body: &str) -> String {
    body.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The `html` escape: Handlebars' own HTML escape, after control characters become spaces.
pub fn html(s: &str) -> String {
    handlebars::html_escape(&text(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(1)</script> [x](http://evil) \r\nBCC: a@b";

    #[test]
    fn clean_makes_one_inert_line() {
        let c = clean(HOSTILE);
        assert_eq!(c, "<script>alert(1)</script> [x](http[:]//evil) BCC: a@b");
        assert_eq!(clean("  a\u{200B}b\t\tc  "), "a b c");
        assert_eq!(
            clean("see www.evil.example or awww.x"),
            "see www[.]evil.example or awww.x"
        );
        assert_eq!(clean(&"x".repeat(500)).chars().count(), MAX_CHARS + 1);
    }

    #[test]
    fn each_format_escapes_what_is_live_in_it() {
        let c = clean(HOSTILE);
        let md = markdown(&c);
        assert!(!md.contains("<script>") && !md.contains("[x]("), "{md}");
        assert!(md.contains(r"\<script\>") && md.contains(r"\[x\]("), "{md}");
        let h = html(&c);
        assert!(!h.contains('<') && h.contains("&lt;script&gt;"), "{h}");
        assert!(!text(HOSTILE).contains('\n') && !text(HOSTILE).contains('\r'));
        let body = json(&serde_json::to_string(&serde_json::json!({ "s": c })).unwrap());
        assert!(
            !body.contains('<') && body.contains("\\u003cscript\\u003e"),
            "{body}"
        );
        let back: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(back["s"], c.as_str());
    }
}
