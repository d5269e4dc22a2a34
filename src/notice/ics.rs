//! The calendar invitation of a notice: one VCALENDAR with one VEVENT (RFC 5545), sent as an
//! iTIP REQUEST, or CANCEL for a cancelled window (RFC 5546). A planned window's invitation
//! carries a VALARM per customer reminder; reminder notices have no calendar file, since sending
//! the same REQUEST with the same SEQUENCE again would only duplicate the event's update. Written by code, not a template,
//! because the format's rules are mechanical and easy to get subtly wrong by hand: CRLF line
//! ends, lines folded at 75 octets without splitting a UTF-8 character, TEXT values escaped
//! (`\\`, `\;`, `\,`, `\n`), and times in UTC. The UID is the window's, so every notice about
//! one occurrence updates one calendar event; DTSTAMP is when the notice was made (the plan's
//! `now`), so the same plan gives the same bytes.

use chrono::{DateTime, Utc};

use super::Kind;
use super::locale::{self, ListStyle};
use super::view::NoticeView;
use super::words::{self, Label};

/// The longest content line, in octets, before it is folded (RFC 5545 3.1).
const LINE_OCTETS: usize = 75;

/// The `.ics` text of `view`.
pub fn calendar(view: &NoticeView) -> String {
    let method = match view.kind {
        Kind::Cancelled => "CANCEL",
        _ => "REQUEST",
    };
    let mut lines = head(&format!("METHOD:{method}"));
    lines.extend(event(view, true));
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect()
}

/// A subscribable calendar (`METHOD:PUBLISH`) of `views`, one VEVENT each, named `name`: each
/// event keeps its window's UID and SEQUENCE, so a client subscribed to it moves and drops the
/// same events the invitations created. No attendee is listed: the file may be published.
pub fn subscription(name: &str, views: &[NoticeView]) -> String {
    let mut lines = head("METHOD:PUBLISH");
    lines.push(format!("X-WR-CALNAME:{}", text(name)));
    for view in views {
        lines.extend(event(view, false));
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect()
}

fn head(method: &str) -> Vec<String> {
    vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        format!(
            "PRODID:-//patchplan//patchplan {}//EN",
            env!("CARGO_PKG_VERSION")
        ),
        "CALSCALE:GREGORIAN".into(),
        method.into(),
    ]
}

/// The VEVENT of `view`, with its attendees when `attendees`.
fn event(view: &NoticeView, attendees: bool) -> Vec<String> {
    let status = match view.kind {
        Kind::Cancelled => "CANCELLED",
        _ => "CONFIRMED",
    };
    let mut lines = vec![
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", text(&view.uid)),
        format!("SEQUENCE:{}", view.sequence),
        format!("DTSTAMP:{}", stamp(view.issued)),
        format!("DTSTART:{}", stamp(view.window.start)),
        format!("DTEND:{}", stamp(view.window.end)),
        format!("SUMMARY:{}", text(&summary(view))),
        format!("DESCRIPTION:{}", text(&description(view))),
        format!("STATUS:{status}"),
        "TRANSP:TRANSPARENT".into(),
        format!(
            "ORGANIZER;CN={}:{}",
            param(&view.organisation.name),
            mailto(&view.organisation.email)
        ),
    ];
    let contacts = view
        .contacts
        .iter()
        .filter(|c| attendees && !c.email.is_empty());
    for c in contacts {
        lines.push(format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:{}",
            param(&c.name),
            mailto(&c.email)
        ));
    }
    lines.extend(alarms(view));
    lines.push("END:VEVENT".into());
    lines
}

/// The event's title: what the window is, and where. Reminders and reschedules keep the title
/// of the event they update; cancelled and completed events say so.
fn summary(view: &NoticeView) -> String {
    let kind = match view.kind {
        Kind::Reminder | Kind::Rescheduled if view.emergency => Kind::Emergency,
        Kind::Reminder | Kind::Rescheduled => Kind::Scheduled,
        k => k,
    };
    let outcome = view.outcome.as_ref().map(|o| o.status);
    let title = words::title(kind, view.emergency, outcome, view.locale);
    let services = locale::list(&view.services, view.locale, ListStyle::And);
    format!("{title}: {services}")
}

/// One VALARM per reminder of a planned window's invitation: calendars remind the attendees at
/// each lead, so reminder mails need not send the invitation again.
fn alarms(view: &NoticeView) -> Vec<String> {
    let summary = text(&summary(view));
    let mut lines = Vec::new();
    for a in &view.alarms {
        lines.extend([
            "BEGIN:VALARM".to_string(),
            "ACTION:DISPLAY".into(),
            format!("DESCRIPTION:{summary}"),
            format!("TRIGGER:{}", trigger(a.lead_minutes)),
            "END:VALARM".into(),
        ]);
    }
    lines
}

/// A negative RFC 5545 duration before the start: `-PT24H`, `-PT90M`.
fn trigger(minutes: i64) -> String {
    if minutes % 60 == 0 {
        format!("-PT{}H", minutes / 60)
    } else {
        format!("-PT{minutes}M")
    }
}

/// The event's description: the notice in brief, by its disclosure level (a `summary` view has
/// no changes to list).
fn description(view: &NoticeView) -> String {
    let loc = view.locale;
    let l = |label| words::label(label, loc);
    let (w, org) = (&view.window, &view.organisation);
    let mut out = vec![
        format!("{}: {}", view.title, view.customer.name),
        format!("{}: {}", l(Label::Reference), view.reference),
        String::new(),
        format!("{}: {} – {}", l(Label::When), w.start_local, w.end_local),
        format!("{}: {} – {}", l(Label::Utc), w.start_utc, w.end_utc),
    ];
    if let Some(p) = &view.previous {
        let was = format!("{} – {}", p.start_local, p.end_local);
        out.push(format!("{}: {was}", l(Label::Previously)));
    }
    let services = locale::list(&view.services, loc, ListStyle::And);
    out.push(format!("{}: {services}", l(Label::Services)));
    let downtime = words::downtime(view.downtime_minutes, loc);
    out.push(format!("{}: {downtime}", l(Label::Downtime)));
    out.push(format!("{}: {}", l(Label::Priority), view.urgency_text));
    if let Some(o) = &view.outcome {
        out.push(format!("{}: {}", l(Label::Outcome), o.text));
    }
    if let Some(n) = &view.note {
        out.push(format!("{}: {n}", l(Label::Note)));
    }
    out.extend([String::new(), view.reason.clone()]);
    changes(view, &mut out);
    let questions = format!("{}: {}, {}", l(Label::Questions), org.email, view.reference);
    out.extend([String::new(), questions]);
    out.join("\n")
}

/// `detailed` only: one line per change, with its advisories.
fn changes(view: &NoticeView, out: &mut Vec<String>) {
    if view.changes.is_empty() {
        return;
    }
    out.extend([
        String::new(),
        format!("{}:", words::label(Label::Changes, view.locale)),
    ]);
    for c in &view.changes {
        let ids: Vec<&str> = c.advisories.iter().map(|a| a.id.as_str()).collect();
        out.push(format!(
            "- {}: {} {} → {} ({}; {})",
            c.service,
            c.component,
            c.from,
            c.to,
            c.decision_text,
            ids.join(", ")
        ));
    }
}

/// `20261101T053000Z`.
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped, other
/// control characters dropped.
pub fn text(s: &str) -> String {
    // Most values have nothing to escape or drop: every byte looked at once, without a stop.
    let odd = (s.bytes()).fold(false, |odd, b| {
        odd | (b < 0x20) | (b == 0x7f) | (b == 0xc2) | (b == b'\\') | (b == b';') | (b == b',')
    });
    if !odd {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A quoted parameter value (RFC 5545 3.2): no control characters, no DQUOTE.
fn param(s: &str) -> String {
    let inner: String = s
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' { '\'' } else { c })
        .collect();
    format!("\"{inner}\"")
}

/// A `mailto:` URI, percent-encoding anything an address should not carry.
fn mailto(email: &str) -> String {
    let mut out = String::from("mailto:");
    for b in email.bytes() {
        if b.is_ascii_alphanumeric() || b"@.-_+~!*'=?^".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `line` folded into lines of at most 75 octets, each ended by CRLF; a continuation line
/// starts with one space, and no UTF-8 character is split.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let (mut rest, mut room) = (line, LINE_OCTETS);
    while rest.len() > room {
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The space that starts a continuation line is one of its octets.
        room = LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_a_character() {
        let long = "DESCRIPTION:".to_string()
            + &"Actualización de la pasarela de autenticación: corte de señal en Cúcuta y "
                .repeat(6);
        let folded = fold(&long);
        assert!(folded.ends_with("\r\n"));
        for (i, l) in folded.trim_end_matches("\r\n").split("\r\n").enumerate() {
            assert!(
                l.len() <= LINE_OCTETS,
                "line {i} has {} octets: {l}",
                l.len()
            );
            assert_eq!(l.starts_with(' '), i > 0, "{l}");
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, long);
        // Three-octet and four-octet characters at the boundary move whole to the next line.
        for c in ["€", "𝄞"] {
            let l = format!("SUMMARY:{}", c.repeat(40));
            let f = fold(&l);
            assert!(f.split("\r\n").all(|p| p.len() <= LINE_OCTETS), "{f}");
            assert_eq!(f.trim_end_matches("\r\n").replace("\r\n ", ""), l);
        }
        assert_eq!(fold(&"x".repeat(75)), "x".repeat(75) + "\r\n");
        // As folding one character at a time folds, whatever the mix of widths.
        let widths = ["a", "é", "€", "𝄞"];
        for n in 0..400 {
            let line: String = (0..n).map(|i| widths[(i * 7 + n) % 4]).collect();
            assert_eq!(fold(&line), fold_by_char(&line), "{line}");
        }
    }

    /// Folding as RFC 5545 describes it, a character at a time: the reference for [`fold`].
    fn fold_by_char(line: &str) -> String {
        let mut out = String::new();
        let mut used = 0;
        for c in line.chars() {
            if used + c.len_utf8() > LINE_OCTETS {
                out.push_str("\r\n ");
                used = 1;
            }
            out.push(c);
            used += c.len_utf8();
        }
        out.push_str("\r\n");
        out
    }

    #[test]
    fn escapes_text_values() {
        assert_eq!(text("a\\b; c, d\r\ne"), "a\\\\b\\; c\\, d\\ne");
        assert_eq!(text("Cúcuta, señal"), "Cúcuta\\, señal");
        assert_eq!(text("plain text ✓"), "plain text ✓");
        assert_eq!(text("C1\u{85}control\u{7f}"), "C1control");
        assert_eq!(text("nbsp\u{a0}kept"), "nbsp\u{a0}kept");
        assert_eq!(param("Dana \"D\" W"), "\"Dana 'D' W\"");
        assert_eq!(mailto("noc@x.example"), "mailto:noc@x.example");
        assert_eq!(mailto("a b:c@x"), "mailto:a%20b%3Ac@x");
        assert_eq!(trigger(24 * 60), "-PT24H");
        assert_eq!(trigger(90), "-PT90M");
    }
}
