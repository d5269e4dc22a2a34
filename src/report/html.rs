//! The pieces every report page shares: escaping, the page frame and the inline assets. Pages
//! are written by code rather than Handlebars templates: they are mostly loops over tables and
//! positioned bars, every value passes [`e`] on the way in, and the one stylesheet and script
//! are built into the binary so that each page is a single self-contained file.

use sha2::{Digest, Sha256};

use crate::notice::escape;

/// The stylesheet of every page (inline: pages load nothing).
pub const CSS: &str = include_str!("report.css");
/// The operator page's script: sorting, filtering, paging; the page reads without it.
pub const JS: &str = include_str!("report.js");

/// Untrusted or not, every value written into a page: HTML-escaped (quotes included, so it is
/// safe in attributes too), control characters as spaces.
pub fn e(s: &str) -> String {
    escape::html(s)
}

/// JSON for a `<script type="application/json">` block: no `<`, `>` or `&` left to end the
/// block or open a comment, and no line separators that older parsers trip on.
pub fn script_json(json: &str) -> String {
    escape::json(json)
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A whole page in `lang`: `head` goes into `<head>` after the title and styles, `script` (if
/// any) at the end of the body. The Content-Security-Policy lets nothing load and runs only
/// that script, by its hash: even markup that escaped escaping could not run a script of its own.
pub fn page(lang: &str, title: &str, head: &str, body: &str, script: Option<&str>) -> String {
    let skip = if lang == "es" {
        "Ir al contenido"
    } else {
        "Skip to content"
    };
    let (policy, script) = match script {
        Some(js) => {
            let text = format!("\n{js}");
            let hash = base64(&Sha256::digest(text.as_bytes()));
            (
                format!("'sha256-{hash}'"),
                format!("<script>{text}</script>\n"),
            )
        }
        None => ("'none'".to_string(), String::new()),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src {policy}; img-src data:\">\n\
<title>{}</title>\n<style>\n{CSS}</style>\n{head}</head>\n<body>\n\
<a class=\"skip\" href=\"#main\">{skip}</a>\n{body}{script}</body>\n</html>\n",
        e(title)
    )
}

/// Standard base64 with padding (RFC 4648), for the CSP hash: a few lines, not a dependency.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A table with a caption, header cells and already-escaped cells.
pub fn table(caption: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("<table>\n<caption>{}</caption>\n<thead><tr>", e(caption));
    for h in header {
        out.push_str(&format!("<th scope=\"col\">{}</th>", e(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(&format!("<td>{c}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// `x` as a percentage with four decimals, for positions on the timeline.
pub fn pct(x: f64) -> String {
    format!("{:.4}%", x * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_open_markup_or_end_a_script_block() {
        let hostile = "</script><script>alert(1)</script>\"' onload=x";
        let h = e(hostile);
        assert!(
            !h.contains('<') && !h.contains('"') && !h.contains('\''),
            "{h}"
        );
        let j = script_json(&serde_json::to_string(hostile).unwrap());
        assert!(!j.contains("</script>") && !j.contains('<'), "{j}");
        let back: String = serde_json::from_str(&j).unwrap();
        assert_eq!(back, hostile);
    }

    #[test]
    fn base64_is_rfc_4648() {
        for (raw, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), want);
        }
    }
}
