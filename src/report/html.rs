//! The pieces every report page shares: escaping, the page frame and the inline assets. Pages
//! are written by code rather than Handlebars templates: they are mostly loops over tables and
//! positioned bars, every value passes [`e`] on the way in, and the one stylesheet and script
//! are built into the binary so that each page is a single self-contained file.

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

/// A whole page in `lang`: `head` goes into `<head>` after the title and styles.
pub fn page(lang: &str, title: &str, head: &str, body: &str) -> String {
    let skip = if lang == "es" {
        "Ir al contenido"
    } else {
        "Skip to content"
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
<title>{}</title>\n<style>\n{CSS}</style>\n{head}</head>\n<body>\n\
<a class=\"skip\" href=\"#main\">{skip}</a>\n{body}</body>\n</html>\n",
        e(title)
    )
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
}
