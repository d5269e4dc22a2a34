//! Untrusted text. Advisory summaries come from feeds, and component, service and customer names
//! from operators' files and lockfiles; any of them may carry markup, links or line breaks meant
//! to forge a mail header. Two layers keep them inert:
//!
//! 1. [`clean`], when the view model is built: control characters and line breaks become single
//!    spaces, and URLs are defanged (`http[:]//`, `www[.]`, `ftp[.]`, a bare `host[.]example/path`,
//!    a UNC `[\\]host\share`), so no format, and no mail client that links URLs in plain text,
//!    turns them into links. The `json` body carries this text.
//! 2. Each template format's escape function, applied to every `{{value}}`: HTML entities for
//!    `html`, backslash escapes for `md`; `txt` has nothing to escape once the text is clean.
//!    The `ics` writer escapes TEXT values itself (RFC 5545 3.3.11), and the `json` body has
//!    `<`, `>` and `&` as `\u` escapes ([`json`]).

/// The longest untrusted text a notice carries, in characters.
const MAX_CHARS: usize = 400;

/// `s` as one line of inert text: whitespace and control characters collapsed to single spaces,
/// URLs defanged, at most [`MAX_CHARS`] characters.
pub fn clean(s: &str) -> String {
    let s = clean_name(s);
    s.split(' ').map(bare_host).collect::<Vec<_>>().join(" ")
}

/// [`clean`] for a package name: a Go module is named by its host and path
/// (`golang.org/x/net`), and a notice names it as it is; schemes, `www.`, `ftp.` and UNC paths
/// are still defanged.
pub fn clean_name(s: &str) -> String {
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

/// `http://x` -> `http[:]//x`, `www.x` -> `www[.]x`, `ftp.x` -> `ftp[.]x`, `evil.example/reset`
/// -> `evil[.]example/reset`, `\\host\share` -> `[\\]host\share`: still readable, no longer
/// a link to any mail client that turns such text into one.
fn defang(s: &str) -> String {
    let s = s.replace("://", "[:]//").replace("\\\\", "[\\\\]");
    let s = host_prefix(&s, "www.");
    host_prefix(&s, "ftp.")
}

/// `prefix` (`www.`) at the start of a word, with its dot bracketed.
fn host_prefix(s: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.to_ascii_lowercase().find(prefix) {
        let at_word_start = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let stem = prefix.len() - 1;
        out.push_str(&rest[..i + stem]);
        out.push_str(if at_word_start { "[.]" } else { "." });
        rest = &rest[i + prefix.len()..];
    }
    out.push_str(rest);
    out
}

/// A word that is a host name followed by a path (`evil-login.example/reset`, `10.0.0.1/admin`),
/// with the host's dots bracketed; any other word as it is. A host's last label starts with a
/// letter (a top-level domain), or it is four numbers (an IPv4 address), so `1.2/1.3` stays.
fn bare_host(word: &str) -> String {
    let start = word
        .find(|c: char| c.is_ascii_alphanumeric())
        .unwrap_or(word.len());
    let (lead, rest) = word.split_at(start);
    let Some((host, path)) = rest.split_once('/') else {
        return word.to_string();
    };
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok =
        |l: &&str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let tld = labels
        .last()
        .and_then(|l| l.chars().next())
        .is_some_and(|c| c.is_ascii_alphabetic());
    let ipv4 = labels.len() == 4 && labels.iter().all(|l| l.parse::<u8>().is_ok());
    if labels.len() < 2 || !labels.iter().all(label_ok) || !(tld || ipv4) {
        return word.to_string();
    }
    format!("{lead}{}/{path}", labels.join("[.]"))
}

/// The `txt` escape: control characters (a smuggled `\r\nBCC:`) become spaces.
pub fn text(s: &str) -> String {
    // Control characters are below 0x20, DEL, or U+0080-U+009F (0xC2 then a byte): most text
    // has none, and is taken as it is.
    let controls = (s.bytes()).fold(false, |any, b| any | (b < 0x20) | (b == 0x7f) | (b == 0xc2));
    if !controls {
        return s.to_string();
    }
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
    fn defangs_unc_paths_bare_hosts_with_a_path_and_ftp_hosts() {
        let case = |input: &str, want: &str| assert_eq!(clean(input), want, "{input}");
        case(
            r"open \\files.evil\share now",
            r"open [\\]files.evil\share now",
        );
        case(
            "reset at evil-login.example/reset today",
            "reset at evil-login[.]example/reset today",
        );
        case("(see evil.example/x)", "(see evil[.]example/x)");
        case("get ftp.evil.example", "get ftp[.]evil.example");
        case("admin on 10.0.0.1/admin", "admin on 10[.]0[.]0[.]1/admin");
        // Not hosts: versions, ratios, plain words.
        case("versions 1.2/1.3 and 2.0", "versions 1.2/1.3 and 2.0");
        case("and/or either/or", "and/or either/or");
        case("openssl 3.0.11-1~deb12u2", "openssl 3.0.11-1~deb12u2");
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
        // Every control character, the C1 ones too, becomes a space; text without one is kept.
        assert_eq!(text("a\u{0}b\u{1f}c\u{7f}d\u{85}e\u{9f}f"), "a b c d e f");
        for kept in ["", "plain ✓", "nbsp\u{a0}£°", "Cúcuta 𝄞"] {
            assert_eq!(text(kept), kept);
        }
        let body = json(&serde_json::to_string(&serde_json::json!({ "s": c })).unwrap());
        assert!(
            !body.contains('<') && body.contains("\\u003cscript\\u003e"),
            "{body}"
        );
        let back: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(back["s"], c.as_str());
    }

    /// Fuzzing (issue 13): any text, hostile characters weighted in, comes out of [`clean`] and
    /// each format's escape as one inert line, in every notice format including the calendar's.
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn hostile_text() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                any::<char>().prop_map(String::from),
                Just("\r\nBCC: a@b".to_string()),
                Just("http://evil.example/x".to_string()),
                Just("\\\\host\\share".to_string()),
                Just("\u{202e}\u{1b}[2J".to_string()),
                Just("<script>".to_string()),
                Just("[x](y)".to_string()),
            ];
            prop::collection::vec(piece, 0..64).prop_map(|v| v.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn every_format_gets_one_inert_line(s in hostile_text()) {
                let c = clean(&s);
                prop_assert!(!c.contains(|ch: char| ch.is_control() || is_invisible(ch)));
                prop_assert!(!c.contains("://") && !c.contains("\\\\host"));
                prop_assert!(c.chars().count() <= MAX_CHARS * 8);
                for out in [text(&c), markdown(&c), html(&c)] {
                    prop_assert!(!out.contains(['\r', '\n']));
                }
                prop_assert!(!html(&c).contains('<'));
                let ics = crate::notice::ics::fold(&format!("SUMMARY:{}", crate::notice::ics::text(&c)));
                prop_assert!(ics.split("\r\n").all(|l| l.len() <= 75));
                prop_assert!(ics.split("\r\n").skip(1).all(|l| l.is_empty() || l.starts_with(' ')));
            }
        }
    }
}
