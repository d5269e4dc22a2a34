//! The Handlebars registries: one per format, because each format escapes untrusted text its own
//! way (Markdown neutralises markup and links; plain text drops control characters).

use std::collections::BTreeMap;
use std::path::Path;

use handlebars::Handlebars;
use serde::Serialize;

use crate::error::{Error, Result};

/// The templates built into the binary: `(locale, kind, format, text)`.
const BUILTIN: &[(&str, &str, &str, &str)] = &[
    (
        "en",
        "scheduled",
        "txt",
        include_str!("../../templates/en/scheduled.txt.hbs"),
    ),
    (
        "en",
        "scheduled",
        "md",
        include_str!("../../templates/en/scheduled.md.hbs"),
    ),
    (
        "en",
        "emergency",
        "txt",
        include_str!("../../templates/en/emergency.txt.hbs"),
    ),
    (
        "en",
        "emergency",
        "md",
        include_str!("../../templates/en/emergency.md.hbs"),
    ),
    (
        "es",
        "scheduled",
        "txt",
        include_str!("../../templates/es/scheduled.txt.hbs"),
    ),
    (
        "es",
        "scheduled",
        "md",
        include_str!("../../templates/es/scheduled.md.hbs"),
    ),
    (
        "es",
        "emergency",
        "txt",
        include_str!("../../templates/es/emergency.txt.hbs"),
    ),
    (
        "es",
        "emergency",
        "md",
        include_str!("../../templates/es/emergency.md.hbs"),
    ),
];

/// Renders notices; built once per run.
pub struct Renderer {
    registries: BTreeMap<&'static str, Handlebars<'static>>,
}

impl Renderer {
    /// Registers the built-in templates, then any `LOCALE/KIND.FORMAT.hbs` under `overrides`.
    pub fn new(overrides: Option<&Path>) -> Result<Renderer> {
        let mut registries = BTreeMap::new();
        for format in super::TEMPLATE_FORMATS {
            let mut hb = Handlebars::new();
            hb.set_strict_mode(true);
            match format {
                "md" => hb.register_escape_fn(escape_markdown),
                _ => hb.register_escape_fn(escape_text),
            }
            registries.insert(format, hb);
        }
        let mut renderer = Renderer { registries };
        for (locale, kind, format, text) in BUILTIN {
            renderer.register(
                locale,
                kind,
                format,
                text,
                &format!("templates/{locale}/{kind}.{format}.hbs"),
            )?;
        }
        if let Some(dir) = overrides.filter(|d| d.is_dir()) {
            for (locale, kind, format, _) in BUILTIN {
                let path = dir.join(locale).join(format!("{kind}.{format}.hbs"));
                if path.is_file() {
                    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                    renderer.register(locale, kind, format, &text, &path.display().to_string())?;
                }
            }
        }
        Ok(renderer)
    }

    fn register(
        &mut self,
        locale: &str,
        kind: &str,
        format: &str,
        text: &str,
        origin: &str,
    ) -> Result<()> {
        let hb = self
            .registries
            .get_mut(format)
            .expect("formats are registered");
        hb.register_template_string(&format!("{locale}/{kind}"), text)
            .map_err(|e| Error::Render(format!("{origin}: {e}")))
    }

    /// Whether `locale/kind` has a template in `format`.
    pub fn has(&self, locale: &str, kind: &str, format: &str) -> bool {
        self.registries
            .get(format)
            .is_some_and(|hb| hb.has_template(&format!("{locale}/{kind}")))
    }

    /// Renders `locale/kind` in `format` against `data`.
    pub fn render<T: Serialize>(
        &self,
        locale: &str,
        kind: &str,
        format: &str,
        data: &T,
    ) -> Result<String> {
        let hb = self
            .registries
            .get(format)
            .ok_or_else(|| Error::Render(format!("no templates for format `{format}`")))?;
        hb.render(&format!("{locale}/{kind}"), data)
            .map_err(|e| Error::Render(format!("templates/{locale}/{kind}.{format}.hbs: {e}")))
    }
}

/// Plain text: no markup to escape, but control characters (a smuggled `\r\nBCC:`) become spaces.
fn escape_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Markdown: backslash-escape every character that could start markup, a link or raw HTML.
fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_untrusted_text() {
        let hostile = "<script>alert(1)</script> [x](http://evil) \r\nBCC: a@b";
        let md = escape_markdown(hostile);
        assert!(!md.contains("<script>") && !md.contains('\n'), "{md}");
        // Every bracket is escaped, so no link can form.
        assert!(md.contains(r"\[x\](http://evil)"), "{md}");
        assert!(!escape_text(hostile).contains('\n'));
    }
}
