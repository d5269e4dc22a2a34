//! Email: one message per notice (`multipart/alternative`: the text, the HTML and, when the
//! notice has a calendar file, the invitation as `text/calendar; method=REQUEST` or `CANCEL`),
//! From the organisation, To the customer's contacts, with a Message-ID made from the notice id
//! so that every attempt, and every recipient, gets the same one. The envelope names one
//! recipient at a time, so each contact's delivery has its own state and retries.

use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, Message, SmtpTransport, Transport};

use super::Failure;
use crate::inventory::{Contact, Delivery, Smtp, SmtpTls};

/// The Message-ID of notice `id`: `<ID@DOMAIN>`, with any character a Message-ID may not carry
/// written as `=XX`.
pub fn message_id(id: &str, domain: &str) -> String {
    let mut left = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.+".contains(&b) {
            left.push(b as char);
        } else {
            left.push_str(&format!("={b:02X}"));
        }
    }
    format!("<{}@{domain}>", left.trim_matches('.'))
}

/// What a mail is made of: the notice's rendered files and subject.
pub struct Parts<'a> {
    pub subject: &'a str,
    pub txt: &'a str,
    pub html: &'a str,
    pub ics: Option<&'a str>,
}

/// The whole message, as sent to every recipient; `recipient` is this delivery's, and its
/// address must be one (another contact's that is not is left out of To).
pub fn build(
    delivery: &Delivery,
    contacts: &[Contact],
    recipient: &str,
    key: &str,
    parts: &Parts,
) -> Result<Vec<u8>, String> {
    let from: Mailbox =
        (delivery.from.parse()).map_err(|e| format!("[delivery] from `{}`: {e}", delivery.from))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(parts.subject)
        .message_id(Some(key.to_string()));
    // A contact's address that is no address fails that contact's own delivery, not the
    // others': they are sent the message without it in To.
    for c in contacts {
        match c.email.parse::<Address>() {
            Ok(address) => builder = builder.to(Mailbox::new(Some(c.name.clone()), address)),
            Err(e) if c.email == recipient => {
                return Err(format!("contact `{}` <{}>: {e}", c.name, c.email));
            }
            Err(_) => {}
        }
    }
    let mut body = MultiPart::alternative()
        .singlepart(SinglePart::plain(parts.txt.to_string()))
        .singlepart(SinglePart::html(parts.html.to_string()));
    if let Some(ics) = parts.ics {
        let method = if ics.contains("\r\nMETHOD:CANCEL\r\n") {
            "CANCEL"
        } else {
            "REQUEST"
        };
        let kind = ContentType::parse(&format!("text/calendar; method={method}; charset=utf-8"))
            .expect("a valid content type");
        body = body.singlepart(SinglePart::builder().header(kind).body(ics.to_string()));
    }
    let message = builder.multipart(body).map_err(|e| e.to_string())?;
    Ok(message.formatted())
}

/// A connection to the SMTP server (kept and reused between messages).
pub fn transport(smtp: &Smtp, delivery: &Delivery, domain: &str) -> Result<SmtpTransport, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = |host: &str| TlsParameters::new(host.to_string()).map_err(|e| e.to_string());
    let builder = SmtpTransport::builder_dangerous(&smtp.host).port(smtp.port);
    let builder = match smtp.tls {
        SmtpTls::None => builder.tls(Tls::None),
        SmtpTls::StartTls => builder.tls(Tls::Required(tls(&smtp.host)?)),
        SmtpTls::Implicit => builder.tls(Tls::Wrapper(tls(&smtp.host)?)),
    };
    let mut builder = builder
        .timeout(Some(delivery.timeout))
        .hello_name(ClientId::Domain(domain.to_string()));
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        let (u, p) = (
            u.value().map_err(|d| d.to_string())?,
            p.value().map_err(|d| d.to_string())?,
        );
        builder = builder.credentials(Credentials::new(u, p));
    }
    Ok(builder.build())
}

/// Sends `message` to one recipient.
pub fn send(
    transport: &SmtpTransport,
    from: &str,
    recipient: &str,
    message: &[u8],
) -> Result<(), Failure> {
    let bad = |e: String| Failure {
        error: e,
        permanent: true,
        connection: false,
    };
    let from: Mailbox = from.parse().map_err(|e| bad(format!("from: {e}")))?;
    let to: Address = (recipient.parse()).map_err(|e| bad(format!("`{recipient}`: {e}")))?;
    let envelope = Envelope::new(Some(from.email), vec![to]).map_err(|e| bad(e.to_string()))?;
    transport
        .send_raw(&envelope, message)
        .map(drop)
        .map_err(|e| {
            // A reply code says what the server decided about this message; without one the
            // connection itself failed (refused, timed out, TLS), which may pass.
            let code = e.status().map(|c| c.to_string());
            // 530, 534, 535, 538: the server refused our AUTH. That is its configuration (or
            // ours), not this message: wait and retry, as for a server that is down.
            let auth = (code.as_deref()).is_some_and(|c| ["530", "534", "535", "538"].contains(&c));
            if auth {
                return Failure {
                    error: super::one_line(&format!(
                        "SMTP AUTH refused (check the variables username_env and password_env name): {e}"
                    )),
                    permanent: false,
                    connection: true,
                };
            }
            Failure {
                error: super::one_line(&format!("SMTP: {e}")),
                permanent: e.is_permanent(),
                connection: code.is_none(),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: &str, email: &str) -> Contact {
        Contact {
            name: name.into(),
            email: email.into(),
        }
    }

    /// A contact whose address is no address fails only its own delivery: the others' message
    /// is built without it in To.
    #[test]
    fn a_bad_address_fails_only_its_own_delivery() {
        let delivery = Delivery {
            from: "Ops <ops@example.com>".into(),
            ..Delivery::default()
        };
        let contacts = [
            contact("NOC", "noc.example.com"),
            contact("Dana", "dana@example.com"),
        ];
        let parts = Parts {
            subject: "Planned maintenance",
            txt: "text",
            html: "<p>html</p>",
            ics: None,
        };
        let key = "<n1@example.com>";
        let mail = build(&delivery, &contacts, "dana@example.com", key, &parts).unwrap();
        let text = String::from_utf8(mail).unwrap();
        let to = text.lines().find(|l| l.starts_with("To: ")).unwrap();
        assert_eq!(to, "To: Dana <dana@example.com>");
        let e = build(&delivery, &contacts, "noc.example.com", key, &parts).unwrap_err();
        assert!(e.starts_with("contact `NOC` <noc.example.com>: "), "{e}");
    }
}
