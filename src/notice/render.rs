//! The Handlebars registries: one per template format, because each format escapes values its own
//! way (see `escape`). Each holds every `LOCALE/KIND` template and the `LOCALE/layout` partial of
//! the html format; an inventory's `templates/` replaces them file by file. Every problem is a
//! diagnostic at the template's file, line and column: parse errors when the registry is built,
//! missing variables and helper errors when a notice renders, all of them at once in [`check`].
//!
//! [`check`]: Renderer::check

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handlebars::{Handlebars, RenderError, RenderErrorReason, TemplateError};

use super::view::NoticeView;
use super::{Kind, TEMPLATE_FORMATS, escape, helpers, sample};
use crate::diag::{Diagnostic, Source};
use crate::error::{Error, Result};
use crate::inventory::{Disclosure, Locale};

macro_rules! builtin {
    ($($locale:literal $file:literal),+ $(,)?) => {
        &[$(($locale, $file, include_str!(concat!("../../templates/", $locale, "/", $file, ".hbs")))),+]
    };
}

/// The templates built into the binary: `(locale, NAME.FORMAT, text)`.
const BUILTIN: &[(&str, &str, &str)] = builtin![
    "en" "scheduled.txt", "en" "scheduled.md", "en" "scheduled.html",
    "en" "reminder.txt", "en" "reminder.md", "en" "reminder.html",
    "en" "emergency.txt", "en" "emergency.md", "en" "emergency.html",
    "en" "rescheduled.txt", "en" "rescheduled.md", "en" "rescheduled.html",
    "en" "cancelled.txt", "en" "cancelled.md", "en" "cancelled.html",
    "en" "completed.txt", "en" "completed.md", "en" "completed.html",
    "en" "layout.html",
    "es" "scheduled.txt", "es" "scheduled.md", "es" "scheduled.html",
    "es" "reminder.txt", "es" "reminder.md", "es" "reminder.html",
    "es" "emergency.txt", "es" "emergency.md", "es" "emergency.html",
    "es" "rescheduled.txt", "es" "rescheduled.md", "es" "rescheduled.html",
    "es" "cancelled.txt", "es" "cancelled.md", "es" "cancelled.html",
    "es" "completed.txt", "es" "completed.md", "es" "completed.html",
    "es" "layout.html",
];

/// Renders notices; built once per run.
pub struct Renderer {
    registries: BTreeMap<&'static str, Handlebars<'static>>,
    /// Where each `(format, LOCALE/NAME)` template came from, for diagnostics.
    origins: BTreeMap<(String, String), PathBuf>,
}

impl Renderer {
    /// Registers the built-in templates, then every `LOCALE/NAME.FORMAT.hbs` under `overrides`.
    /// Every problem in the overrides is reported at once.
    pub fn new(overrides: Option<&Path>) -> Result<Renderer> {
        let mut renderer = Renderer {
            registries: TEMPLATE_FORMATS
                .into_iter()
                .map(|f| (f, registry(f)))
                .collect(),
            origins: BTreeMap::new(),
        };
        let mut diags = Vec::new();
        for (locale, file, text) in BUILTIN {
            let origin = PathBuf::from(format!("templates/{locale}/{file}.hbs"));
            renderer.register(locale, file, text, origin, &mut diags);
        }
        if let Some(dir) = overrides.filter(|d| d.is_dir()) {
            for (locale, file, path) in override_files(dir, &mut diags) {
                match crate::files::read_to_string(&path) {
                    Ok(text) => renderer.register(&locale, &file, &text, path, &mut diags),
                    Err(e) => diags.push(Source::whole(&path, e.to_string())),
                }
            }
        }
        if diags.is_empty() {
            Ok(renderer)
        } else {
            Err(Error::Invalid(diags))
        }
    }

    fn register(
        &mut self,
        locale: &str,
        file: &str,
        text: &str,
        origin: PathBuf,
        diags: &mut Vec<Diagnostic>,
    ) {
        let Some((name, format)) = file.rsplit_once('.') else {
            return;
        };
        let source = Source::new(origin, text.to_string());
        if let Some(d) = raw_output(&source) {
            diags.push(d);
            return;
        }
        let hb = self.registries.get_mut(format).expect("known format");
        let name = format!("{locale}/{name}");
        match hb.register_template_string(&name, text) {
            Ok(()) => {
                self.origins.insert((format.into(), name), source.path);
            }
            Err(e) => diags.push(template_error(&source.path, &e)),
        }
    }

    /// Renders `view` in every template format, in [`TEMPLATE_FORMATS`] order: the view is
    /// turned into template data once for all of them.
    pub fn render_all(&self, view: &NoticeView) -> Result<Vec<(&'static str, String)>> {
        let name = format!("{}/{}", view.locale.code(), view.kind.as_str());
        let ctx = handlebars::Context::wraps(view)
            .map_err(|e| Error::Invalid(vec![self.render_error("json", &name, &e)]))?;
        TEMPLATE_FORMATS
            .iter()
            .map(|&format| {
                let hb = self.registries.get(format).ok_or_else(|| {
                    Error::Invalid(vec![Diagnostic {
                        path: PathBuf::from(format!("{name}.{format}")),
                        line: 0,
                        col: 0,
                        message: format!("no templates for format `{format}`"),
                    }])
                })?;
                let text = hb
                    .render_with_context(&name, &ctx)
                    .map_err(|e| Error::Invalid(vec![self.render_error(format, &name, &e)]))?;
                Ok((format, text))
            })
            .collect()
    }

    fn try_render(&self, view: &NoticeView, format: &str) -> Result<String, Diagnostic> {
        let name = format!("{}/{}", view.locale.code(), view.kind.as_str());
        let hb = self.registries.get(format).ok_or_else(|| Diagnostic {
            path: PathBuf::from(format!("{name}.{format}")),
            line: 0,
            col: 0,
            message: format!("no templates for format `{format}`"),
        })?;
        hb.render(&name, view)
            .map_err(|e| self.render_error(format, &name, &e))
    }

    /// Renders every template of every locale and kind against sample notices of both
    /// disclosure levels (and both kinds of window where the notice kind fits either), and
    /// returns every problem found.
    pub fn check(&self) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        for locale in [Locale::En, Locale::Es] {
            for kind in Kind::ALL {
                for disclosure in [Disclosure::Summary, Disclosure::Detailed] {
                    for view in sample::views(locale, kind, disclosure) {
                        for format in TEMPLATE_FORMATS {
                            diags.extend(self.try_render(&view, format).err());
                        }
                    }
                }
            }
        }
        diags.sort();
        diags.dedup();
        diags
    }

    fn render_error(&self, format: &str, name: &str, e: &RenderError) -> Diagnostic {
        let at = e.template_name.as_deref().unwrap_or(name);
        let path = (self.origins.get(&(format.to_string(), at.to_string())))
            .cloned()
            .unwrap_or_else(|| PathBuf::from(format!("templates/{at}.{format}.hbs")));
        let message = match e.reason() {
            RenderErrorReason::MissingVariable(Some(var)) => {
                format!("`{var}` is not in the notice (templates render in strict mode)")
            }
            RenderErrorReason::HelperNotFound(h) => format!("unknown helper `{h}`"),
            RenderErrorReason::PartialNotFound(p) => format!("unknown partial `{p}`"),
            other => other.to_string(),
        };
        Diagnostic {
            path,
            line: e.line_no.unwrap_or(0),
            col: e.column_no.unwrap_or(0),
            message,
        }
    }
}

/// A registry for `format`: strict, with the format's escape and the notice helpers.
fn registry(format: &str) -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    match format {
        "html" => hb.register_escape_fn(escape::html),
        "md" => hb.register_escape_fn(escape::markdown),
        _ => hb.register_escape_fn(escape::text),
    }
    helpers::register(&mut hb);
    hb
}

/// The `.hbs` files under `dir` as `(locale, NAME.FORMAT, path)`, sorted; a file that is not a
/// template patchplan renders is a problem (it is usually a misspelt name).
fn override_files(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(String, String, PathBuf)> {
    let mut found = Vec::new();
    for path in hbs_files(dir, 2) {
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let known = match parts.as_slice() {
            [locale, file] => BUILTIN
                .iter()
                .find(|(l, f, _)| *l == locale.as_str() && file.strip_suffix(".hbs") == Some(*f)),
            _ => None,
        };
        match known {
            Some((l, f, _)) => found.push((l.to_string(), f.to_string(), path)),
            None => diags.push(Source::whole(&path, unknown_template())),
        }
    }
    found
}

fn unknown_template() -> String {
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    format!(
        "not a notice template: expected LOCALE/KIND.FORMAT.hbs with LOCALE en or es, KIND {}, FORMAT {}, or LOCALE/layout.html.hbs",
        kinds.join(", "),
        TEMPLATE_FORMATS.join(", ")
    )
}

/// `.hbs` files in `dir` and its subdirectories down to `depth`, sorted.
fn hbs_files(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() && depth > 1 {
            files.extend(hbs_files(&path, depth - 1));
        } else if path.extension().is_some_and(|e| e == "hbs") {
            files.push(path);
        }
    }
    files
}

/// `{{{value}}}` and `{{& value}}` write a value unescaped; every value of a notice may carry
/// untrusted text, so templates may not.
fn raw_output(source: &Source) -> Option<Diagnostic> {
    let at = ["{{{", "{{&", "{{~{", "{{~&"]
        .iter()
        .filter_map(|p| source.text.find(p))
        .min()?;
    Some(source.at(
        at..at,
        "unescaped output (`{{{` or `{{&`): notices carry untrusted text, so every value must be escaped; use `{{value}}`",
    ))
}

fn template_error(path: &Path, e: &TemplateError) -> Diagnostic {
    let (line, col) = e.pos().unwrap_or((0, 0));
    Diagnostic {
        path: path.to_path_buf(),
        line,
        col,
        message: format!("template error: {}", e.reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_render_every_kind_and_locale() {
        let renderer = Renderer::new(None).unwrap();
        assert_eq!(renderer.check(), Vec::new());
    }

    #[test]
    fn a_missing_variable_names_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("es")).unwrap();
        let path = dir.path().join("es/completed.txt.hbs");
        std::fs::write(&path, "{{title}}\n\nFin: {{window.fin}}\n").unwrap();
        let renderer = Renderer::new(Some(dir.path())).unwrap();
        let diags = renderer.check();
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert_eq!((d.path.as_path(), d.line, d.col), (path.as_path(), 3, 6));
        assert!(
            d.message.contains("`window.fin` is not in the notice"),
            "{d}"
        );
    }

    #[test]
    fn unescaped_output_and_unknown_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("en")).unwrap();
        std::fs::write(dir.path().join("en/scheduled.md.hbs"), "# x\n {{{reason}}}").unwrap();
        std::fs::write(dir.path().join("en/schedueld.txt.hbs"), "x").unwrap();
        std::fs::write(dir.path().join("en/notes.txt"), "not a template").unwrap();
        let Err(Error::Invalid(diags)) = Renderer::new(Some(dir.path())) else {
            panic!("expected diagnostics");
        };
        let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(diags.len(), 2, "{text:?}");
        assert!(text[0].ends_with("schedueld.txt.hbs: not a notice template: expected LOCALE/KIND.FORMAT.hbs with LOCALE en or es, KIND scheduled, reminder, emergency, rescheduled, cancelled, completed, FORMAT txt, md, html, or LOCALE/layout.html.hbs") || text[1].contains("schedueld"), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.contains("scheduled.md.hbs:2:2: unescaped output")),
            "{text:?}"
        );
    }
}
