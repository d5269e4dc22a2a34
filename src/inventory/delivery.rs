//! `[delivery]` of patchplan.toml and a customer's `webhook`: the SMTP URL, the sender, the
//! rate and retry limits, and the names of the environment variables that hold secrets. Secrets
//! never sit in the inventory; whether the variables are set is checked by `validate` and `send`
//! ([`Inventory::missing_secrets`](super::Inventory::missing_secrets)), not by `plan`, which
//! needs none of them.

use reqwest::Url;
use toml::Spanned;

use super::check::Check;
use super::model::{Delivery, EnvVar, Organisation, Smtp, SmtpTls, Webhook};
use super::raw::{RawConfig, RawWebhook};
use crate::diag::{Diagnostic, Source};

/// `[delivery]`, checked; the default (no SMTP) when patchplan.toml has none.
pub fn delivery(
    src: &Source,
    raw: &RawConfig,
    org: &Organisation,
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<String>,
) -> Delivery {
    let mut out = Delivery {
        from: format!("{} <{}>", org.name, org.email),
        ..Delivery::default()
    };
    let Some(d) = &raw.delivery else {
        return out;
    };
    let mut c = Check { src, diags };
    let username = d
        .username_env
        .as_ref()
        .and_then(|v| env_var(&mut c, v, "the SMTP user name"));
    let password = d
        .password_env
        .as_ref()
        .and_then(|v| env_var(&mut c, v, "the SMTP password"));
    if let (Some(u), None) | (None, Some(u)) = (&d.username_env, &d.password_env) {
        c.error(
            u,
            "username_env and password_env go together: name both or neither",
        );
    }
    out.smtp = d.smtp.as_ref().and_then(|u| smtp(&mut c, u, warnings));
    if let Some(s) = &mut out.smtp {
        (s.username, s.password) = (username, password);
        if s.tls == SmtpTls::None && s.username.is_some() && !loopback(&s.host) {
            c.error(
                d.smtp.as_ref().expect("smtp is set"),
                "SMTP AUTH over plain text to a remote host would send the password in clear: use smtps:// or ?tls=starttls",
            );
        }
    } else if let Some(u) = d.username_env.as_ref().filter(|_| d.smtp.is_none()) {
        c.error(u, "username_env without smtp: name the server in `smtp`");
    }
    if let Some(from) = &d.from {
        out.from = from.get_ref().clone();
    }
    let control = out.from.chars().any(char::is_control);
    if out.smtp.is_some() && out.from.parse::<lettre::message::Mailbox>().is_err() {
        let message = format!(
            "`{}` is not a mail sender: expected `Name <address>` or an address",
            crate::diag::excerpt(&out.from)
        );
        match &d.from {
            Some(f) => c.error(f, message),
            // (One with a control character is reported where it is, by the organisation's.)
            None if control => {}
            None => c.error(
                &raw.organisation.email,
                format!("{message} (from [organisation] name and email; set [delivery] from)"),
            ),
        }
    }
    if let Some(rate) = &d.rate {
        match *rate.get_ref() {
            0 => c
                .diags
                .push(src.at(rate.span(), "rate is mails per minute: at least 1")),
            r => out.rate = r,
        }
    }
    if let Some(m) = &d.max_attempts {
        match *m.get_ref() {
            0 => c.diags.push(src.at(m.span(), "max_attempts is at least 1")),
            n => out.max_attempts = n,
        }
    }
    out.webhook = d
        .webhook
        .as_ref()
        .and_then(|w| webhook(&mut c, w, warnings));
    out.backoff = c.duration_or(d.backoff.as_ref(), out.backoff);
    if let Some(t) = &d.timeout
        && let Some(t) = timeout(&mut c, t)
    {
        out.timeout = t;
    }
    out
}

/// A customer's `webhook`.
pub fn webhook(c: &mut Check, raw: &RawWebhook, warnings: &mut Vec<String>) -> Option<Webhook> {
    let secret = env_var(c, &raw.secret_env, "the webhook's signing secret");
    let text = raw.url.get_ref();
    let url = match Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
        Ok(_) => {
            c.error(
                &raw.url,
                format!("webhook url `{text}` is not an http(s) URL"),
            );
            return None;
        }
        Err(e) => {
            c.error(&raw.url, format!("webhook url `{text}` is not a URL: {e}"));
            return None;
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        c.error(
            &raw.url,
            "no credentials in the webhook url: the body is signed with secret_env",
        );
        return None;
    }
    if url.scheme() == "http" && !loopback(url.host_str().unwrap_or("")) {
        warnings.push(format!(
            "{}: webhook {text} is plain http to a remote host: anyone on the path can read the notices",
            c.src.path.display()
        ));
    }
    Some(Webhook {
        url: text.clone(),
        secret: secret?,
    })
}

/// `smtp = "smtp://HOST:PORT"`, `...?tls=starttls` or `smtps://HOST:PORT`.
fn smtp(c: &mut Check, value: &Spanned<String>, warnings: &mut Vec<String>) -> Option<Smtp> {
    let text = value.get_ref();
    let url = match Url::parse(text) {
        Ok(u) => u,
        Err(e) => {
            c.error(value, format!("smtp `{text}` is not a URL ({e}): expected smtp://HOST:PORT or smtps://HOST:PORT"));
            return None;
        }
    };
    let mut tls = match url.scheme() {
        "smtp" => SmtpTls::None,
        "smtps" => SmtpTls::Implicit,
        other => {
            c.error(
                value,
                format!("unknown scheme `{other}`: expected smtp:// or smtps://"),
            );
            return None;
        }
    };
    for (k, v) in url.query_pairs() {
        match (k.as_ref(), v.as_ref(), tls) {
            ("tls", "starttls", SmtpTls::None) => tls = SmtpTls::StartTls,
            _ => {
                c.error(
                    value,
                    format!(
                        "unknown parameter `{k}={v}`: the only one is `tls=starttls`, with smtp://"
                    ),
                );
                return None;
            }
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        c.error(value, "no credentials in the smtp URL: name environment variables in username_env and password_env");
        return None;
    }
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        c.error(value, "an smtp URL is only smtp://HOST:PORT (no path)");
        return None;
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        c.error(value, "the smtp URL names no host");
        return None;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if tls == SmtpTls::None && !loopback(&host) {
        warnings.push(format!(
            "{}: [delivery] smtp {text} is plain text to a remote host: use smtps:// or ?tls=starttls",
            c.src.path.display()
        ));
    }
    let default_port = match tls {
        SmtpTls::None => 25,
        SmtpTls::StartTls => 587,
        SmtpTls::Implicit => 465,
    };
    Some(Smtp {
        host,
        port: url.port().unwrap_or(default_port),
        tls,
        username: None,
        password: None,
    })
}

fn env_var(c: &mut Check, value: &Spanned<String>, holds: &str) -> Option<EnvVar> {
    let name = value.get_ref();
    let ok = !name.is_empty()
        && !name.starts_with(|ch: char| ch.is_ascii_digit())
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if !ok {
        c.error(
            value,
            format!("`{name}` is not an environment variable name (letters, digits and `_`): name the variable that holds {holds}, never the secret itself"),
        );
        return None;
    }
    Some(EnvVar {
        name: name.clone(),
        at: c.src.at(value.span(), holds),
    })
}

/// `"30s"`, or a duration in minutes or more (`"2m"`).
fn timeout(c: &mut Check, value: &Spanned<String>) -> Option<std::time::Duration> {
    let text = value.get_ref();
    let secs = match text.strip_suffix('s').map(str::parse::<u64>) {
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => None,
        None => c.duration(value).map(|d| d.minutes().max(0) as u64 * 60),
    };
    match secs {
        Some(s) if (1..=3600).contains(&s) => Some(std::time::Duration::from_secs(s)),
        _ => {
            c.error(
                value,
                format!("timeout `{text}` must be between 1s and 1h, such as \"30s\""),
            );
            None
        }
    }
}

/// `localhost` or a loopback address.
pub fn loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
