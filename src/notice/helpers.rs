//! The Handlebars helpers notices use, registered once per registry by [`register`]. Each is a
//! pure function of its arguments and the notice's `locale`: none reads a file, the clock or the
//! network. Their output goes through the format's escape function like any other value.
//!
//! - `{{datetime window.start zone=customer.timezone style="long"}}`: an RFC 3339 instant in an
//!   IANA zone (default: the customer's) and the notice's language; styles `long`, `date`,
//!   `time`, `short`, `iso`.
//! - `{{duration window.minutes}}`: minutes in words (`2 horas y 30 minutos`).
//! - `{{plural services one="service" other="services"}}`: the form for a count or a list's length.
//! - `{{list services}}`: `a, b and c` / `a, b y c`; `style="or"` or `style="unit"` (`a, b, c`).
//!
//! Every helper takes `locale="es"` to override the notice's language.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, JsonValue, RenderContext, RenderError,
    RenderErrorReason, ScopedJson,
};

use super::locale::{self, ListStyle, Style};
use crate::inventory::Locale;

/// Registers every notice helper on `hb`.
pub fn register(hb: &mut Handlebars<'_>) {
    hb.register_helper("datetime", Box::new(Pure(datetime)));
    hb.register_helper("duration", Box::new(Pure(duration)));
    hb.register_helper("plural", Box::new(Pure(plural)));
    hb.register_helper("list", Box::new(Pure(list)));
}

type Out = Result<String, RenderError>;

/// A helper written as a function of its arguments and the data it renders.
struct Pure(fn(&Args) -> Out);

/// A helper call's parameters, hash and the notice it renders.
struct Args<'a, 'rc> {
    name: &'a str,
    h: &'a Helper<'rc>,
    root: &'a JsonValue,
}

impl HelperDef for Pure {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let args = Args {
            name: h.name(),
            h,
            root: ctx.data(),
        };
        (self.0)(&args).map(|s| ScopedJson::Derived(JsonValue::String(s)))
    }
}

fn fail(message: String) -> RenderError {
    RenderErrorReason::Other(message).into()
}

impl Args<'_, '_> {
    /// Positional parameter `i`, which must be present and not missing from the data.
    fn param(&self, i: usize, what: &str) -> Result<&JsonValue, RenderError> {
        let p = self.h.param(i).ok_or_else(|| {
            fail(format!(
                "`{}` needs {what} as parameter {}",
                self.name,
                i + 1
            ))
        })?;
        if p.is_value_missing() {
            let path = p.relative_path().map_or("?", String::as_str);
            return Err(fail(format!("`{}`: `{path}` is missing", self.name)));
        }
        Ok(p.value())
    }

    /// Hash argument `key` as a string, if given.
    fn hash_str(&self, key: &str) -> Result<Option<&str>, RenderError> {
        match self.h.hash_get(key).map(|v| v.value()) {
            None => Ok(None),
            Some(JsonValue::String(s)) => Ok(Some(s)),
            Some(other) => Err(fail(format!(
                "`{}`: {key}= must be a string, not {other}",
                self.name
            ))),
        }
    }

    /// `locale=`, else the notice's `locale`.
    fn locale(&self) -> Result<Locale, RenderError> {
        let code = match self.hash_str("locale")? {
            Some(code) => code,
            None => self
                .root
                .get("locale")
                .and_then(JsonValue::as_str)
                .unwrap_or(""),
        };
        Locale::parse(code).ok_or_else(|| {
            fail(format!(
                "`{}`: unknown locale `{code}` (en or es; pass locale= or render a notice)",
                self.name
            ))
        })
    }
}

fn datetime(a: &Args) -> Out {
    let value = a.param(0, "an RFC 3339 time")?;
    let text = value.as_str().unwrap_or_default();
    let t: DateTime<Utc> = DateTime::parse_from_rfc3339(text)
        .map_err(|_| fail(format!("`datetime`: {value} is not an RFC 3339 time")))?
        .with_timezone(&Utc);
    let zone = match a.hash_str("zone")? {
        Some(z) => z,
        None => (a
            .root
            .pointer("/customer/timezone")
            .and_then(JsonValue::as_str))
        .ok_or_else(|| fail("`datetime` needs zone= outside a notice".into()))?,
    };
    let tz: Tz = zone
        .parse()
        .map_err(|_| fail(format!("`datetime`: unknown time zone `{zone}`")))?;
    let style = a.hash_str("style")?.unwrap_or("long");
    let style = Style::parse(style).ok_or_else(|| {
        fail(format!(
            "`datetime`: unknown style `{style}` (long, date, time, short or iso)"
        ))
    })?;
    Ok(locale::datetime(&t, tz, a.locale()?, style))
}

fn duration(a: &Args) -> Out {
    let value = a.param(0, "a number of minutes")?;
    let minutes = value
        .as_i64()
        .ok_or_else(|| fail(format!("`duration`: {value} is not a number of minutes")))?;
    Ok(locale::duration_words(minutes, a.locale()?))
}

fn plural(a: &Args) -> Out {
    let value = a.param(0, "a count or a list")?;
    let n = match value {
        JsonValue::Array(items) => items.len() as u64,
        v => v
            .as_u64()
            .ok_or_else(|| fail(format!("`plural`: {v} is neither a count nor a list")))?,
    };
    let form = |key: &str| {
        a.hash_str(key)?
            .ok_or_else(|| fail(format!("`plural` needs {key}=\"...\"")))
    };
    Ok(locale::plural(n, form("one")?, form("other")?).to_string())
}

fn list(a: &Args) -> Out {
    let value = a.param(0, "a list")?;
    let items = value
        .as_array()
        .ok_or_else(|| fail(format!("`list`: {value} is not a list")))?;
    let words: Vec<String> = items
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect();
    let style = a.hash_str("style")?.unwrap_or("and");
    let style = ListStyle::parse(style)
        .ok_or_else(|| fail(format!("`list`: unknown style `{style}` (and, or or unit)")))?;
    Ok(locale::list(&words, a.locale()?, style))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, data: JsonValue) -> Result<String, String> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        register(&mut hb);
        hb.render_template(template, &data)
            .map_err(|e| e.to_string())
    }

    fn notice() -> JsonValue {
        json!({
            "locale": "es",
            "customer": {"timezone": "America/Bogota"},
            "start": "2026-11-29T07:00:00Z",
            "minutes": 150,
            "services": ["Portal", "Pasarela", "Inventario"],
        })
    }

    #[test]
    fn helpers_write_in_the_notice_language_and_zone() {
        let case = |t: &str, want: &str| assert_eq!(render(t, notice()).unwrap(), want, "{t}");
        case(
            r#"{{datetime start zone=customer.timezone style="long"}}"#,
            "domingo, 29 de noviembre de 2026, 02:00 hora de Bogotá (GMT-5)",
        );
        case(
            "{{datetime start}}",
            "domingo, 29 de noviembre de 2026, 02:00 hora de Bogotá (GMT-5)",
        );
        case(
            r#"{{datetime start zone="UTC" style="iso"}}"#,
            "2026-11-29 07:00 UTC",
        );
        case(
            r#"{{datetime start zone="Asia/Kolkata" style="time" locale="en"}}"#,
            "12:30 IST (GMT+5:30)",
        );
        case("{{duration minutes}}", "2 horas y 30 minutos");
        case(
            r#"{{plural services one="servicio" other="servicios"}}"#,
            "servicios",
        );
        case(
            r#"{{plural 1 one="servicio" other="servicios"}}"#,
            "servicio",
        );
        case("{{list services}}", "Portal, Pasarela e Inventario");
        case(
            r#"{{list services style="unit"}}"#,
            "Portal, Pasarela, Inventario",
        );
    }

    #[test]
    fn helper_errors_say_what_is_wrong() {
        let case = |t: &str, want: &str| {
            let err = render(t, notice()).unwrap_err();
            assert!(err.contains(want), "{t}: {err}");
        };
        case("{{datetime strat}}", "`datetime`: `strat` is missing");
        case(
            r#"{{datetime start zone="Mars/Olympus"}}"#,
            "unknown time zone `Mars/Olympus`",
        );
        case(
            r#"{{datetime start style="medium"}}"#,
            "unknown style `medium`",
        );
        case("{{datetime minutes}}", "150 is not an RFC 3339 time");
        case("{{duration start}}", "is not a number of minutes");
        case(r#"{{plural services one="x"}}"#, "`plural` needs other=");
        case(r#"{{list services locale="fr"}}"#, "unknown locale `fr`");
        case("{{list}}", "`list` needs a list as parameter 1");
    }
}
