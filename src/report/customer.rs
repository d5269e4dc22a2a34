//! A customer's page, calendar and feed: what they may see of the plan, in their language and
//! zone. Each window is shown through the notices' own view model ([`view::build`]), so the page
//! says exactly what their notices say, at their disclosure level: under `summary` it carries
//! no component, version or advisory, because the view has none.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Sources;
use super::by_customer::Share;
use super::html::{e, page};
use super::words::{W, w};
use crate::inventory::{Customer, Locale};
use crate::ledger::diff::{LedgerWindow, WindowState};
use crate::ledger::published::PublishedNotice;
use crate::notice::input::WindowInput;
use crate::notice::locale::{ListStyle, list};
use crate::notice::view::{self, NoticeView};
use crate::notice::words::{Label, downtime, label};
use crate::notice::{Issue, Kind, Outcome};

/// Finished windows shown as recent work.
const RECENT: usize = 10;

/// `index.html`, `maintenance.ics` and `notices.atom` of the customer of `share`.
pub fn files(src: &Sources, share: &Share) -> (String, String, String) {
    let (customer, sources) = (share.customer, src.notice);
    let current: Vec<&LedgerWindow> = share.current().collect();
    let views: Vec<NoticeView> = (current.iter())
        .map(|l| window_view(sources, customer, l, src.now()))
        .collect();
    let mut finished: Vec<&LedgerWindow> = (share.ledger.iter().copied())
        .filter(|l| matches!(l.state, WindowState::Completed | WindowState::Failed))
        .collect();
    finished.sort_by(|a, b| b.window.end.cmp(&a.window.end).then(a.key.cmp(&b.key)));
    let recent: Vec<NoticeView> = (finished.iter().take(RECENT))
        .map(|l| window_view(sources, customer, l, src.now()))
        .collect();
    let name = format!("{}: {}", w(W::Heading, customer.locale), customer.name);
    let ics = crate::notice::subscription(&name, &views);
    let html = html(src, customer, &current, &views, &recent, &share.notices);
    let atom = atom(src, customer, &sent(&share.notices, src.now()));
    (html, ics, atom)
}

/// The view of a ledger window as its notices show it: the ledger's UID and SEQUENCE, made at
/// `now`; a finished window's view says how it went.
fn window_view(
    sources: &view::Sources,
    customer: &Customer,
    l: &LedgerWindow,
    now: DateTime<Utc>,
) -> NoticeView {
    let window = WindowInput::from(&l.window);
    let kind = match (l.state, window.emergency) {
        (WindowState::Completed | WindowState::Failed, _) => Kind::Completed,
        (_, true) => Kind::Emergency,
        (_, false) => Kind::Scheduled,
    };
    let outcome = match l.state {
        WindowState::Completed => Some(Outcome::Done),
        WindowState::Failed => Some(Outcome::RolledBack),
        _ => None,
    };
    let issue = Issue {
        sequence: l.sequence,
        outcome,
        ..Issue::new(kind, now)
    };
    let mut v = view::build(sources, customer, &window, &issue);
    v.uid = l.uid.clone();
    v
}

fn html(
    src: &Sources,
    c: &Customer,
    current: &[&LedgerWindow],
    views: &[NoticeView],
    recent: &[NoticeView],
    notices: &[&PublishedNotice],
) -> String {
    let loc = c.locale;
    let title = format!("{}: {}", w(W::Heading, loc), c.name);
    let mut body = format!(
        "<header>\n<h1>{}</h1>\n<p>{} {} · {} <time datetime=\"{}\">{}</time></p>\n</header>\n<main id=\"main\">\n",
        e(&title),
        w(W::Zone, loc),
        e(c.timezone.name()),
        w(W::Updated, loc),
        src.now().to_rfc3339(),
        e(&crate::notice::locale::long_datetime(
            &src.now(),
            c.timezone,
            loc
        ))
    );
    let latest = latest_notices(notices);
    let link = |l: &LedgerWindow| notice_link(latest.get(l.key.as_str()).copied(), loc);
    // Upcoming: not yet over. A window past its end whose outcome is not recorded stays in the
    // calendar (it is still open in the ledger) but is no longer news on the page.
    let (emergencies, planned): (Vec<_>, Vec<_>) = (current.iter().zip(views))
        .filter(|(_, v)| v.window.end > src.now())
        .partition(|(_, v)| v.emergency);
    let articles = |ws: &[(&&LedgerWindow, &NoticeView)]| -> Vec<String> {
        ws.iter().map(|(l, v)| article(v, &link(l))).collect()
    };
    if !emergencies.is_empty() {
        let heading = w(W::Emergencies, loc);
        body.push_str(&section(
            "emergencies",
            heading,
            &articles(&emergencies),
            "",
        ));
    }
    let none = w(W::NoneUpcoming, loc);
    body.push_str(&section(
        "upcoming",
        w(W::Upcoming, loc),
        &articles(&planned),
        none,
    ));
    let done: Vec<String> = recent.iter().map(|v| article(v, "")).collect();
    let none = w(W::NoneCompleted, loc);
    body.push_str(&section("completed", w(W::Completed, loc), &done, none));
    body.push_str(&format!(
        "<section aria-labelledby=\"subscribe\">\n<h2 id=\"subscribe\">{}</h2>\n<ul>\
<li><a href=\"maintenance.ics\">{}</a></li><li><a href=\"notices.atom\">{}</a></li></ul>\n</section>\n</main>\n\
<footer>{}: {}</footer>\n",
        w(W::Subscribe, loc),
        w(W::Calendar, loc),
        w(W::Feed, loc),
        label(Label::Questions, loc),
        e(&src.inv.organisation.email)
    ));
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"notices.atom\" title=\"{}\">\n",
        e(w(W::FeedTitle, loc))
    );
    page(loc.code(), &title, &head, &body, None)
}

/// A section headed `heading` (its `id` labels it) with `items`, or the words `none` when it
/// has none.
fn section(id: &str, heading: &str, items: &[String], none: &str) -> String {
    let mut out = format!("<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{heading}</h2>\n");
    if items.is_empty() {
        out.push_str(&format!("<p>{none}</p>\n"));
    }
    for item in items {
        out.push_str(item);
    }
    out.push_str("</section>\n");
    out
}

/// The page of the latest notice (not a reminder) issued about each window, by window key.
fn latest_notices<'a>(notices: &[&'a PublishedNotice]) -> HashMap<&'a str, &'a str> {
    let mut latest = HashMap::new();
    for n in notices.iter().filter(|n| n.kind != "reminder") {
        if let Some(f) = n.files.iter().find(|f| f.ends_with(".html")) {
            latest.insert(n.window.as_str(), f.as_str());
        }
    }
    latest
}

/// A link to a notice's page `html`, if any.
fn notice_link(html: Option<&str>, loc: Locale) -> String {
    html.map_or(String::new(), |f| {
        format!(
            "<p><a href=\"../../../{}\">{}</a></p>",
            e(f),
            w(W::Notice, loc)
        )
    })
}

/// One window, as the customer's notices describe it.
fn article(v: &NoticeView, link: &str) -> String {
    let loc = v.locale;
    let l = |x| e(label(x, loc));
    let class = match v.urgency {
        "emergency" => "emergency",
        "high" => "high",
        _ => "planned",
    };
    let mut out = format!(
        "<article class=\"window {class}\" data-window=\"{}\">\n<h3>{}</h3>\n<dl class=\"facts\">\
<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{} – {}</dd><dt>{}</dt><dd>{} – {}</dd>\
<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>",
        e(&v.reference),
        e(v.title),
        l(Label::Reference),
        e(&v.reference),
        l(Label::When),
        e(&v.window.start_local),
        e(&v.window.end_local),
        l(Label::Utc),
        e(&v.window.start_utc),
        e(&v.window.end_utc),
        l(Label::Services),
        e(&list(&v.services, loc, ListStyle::And)),
        l(Label::Downtime),
        e(&downtime(v.downtime_minutes, loc)),
        l(Label::Priority),
        e(v.urgency_text)
    );
    if let Some(o) = &v.outcome {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            l(Label::Outcome),
            e(o.text)
        ));
    }
    out.push_str(&format!("</dl>\n<p>{}</p>\n", e(&v.reason)));
    if !v.changes.is_empty() {
        out.push_str(&format!("<h4>{}</h4>\n<ul>\n", l(Label::Changes)));
        for c in &v.changes {
            let ids: Vec<String> = c
                .advisories
                .iter()
                .map(|a| format!("{} ({})", a.id, a.summary))
                .collect();
            out.push_str(&format!(
                "<li>{}: {} {} → {} ({}; {})</li>\n",
                e(&c.service),
                e(&c.component),
                e(&c.from),
                e(&c.to),
                e(c.decision_text),
                e(&ids.join("; "))
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(link);
    out.push_str("</article>\n");
    out
}

/// The Atom feed (RFC 4287) of the customer's notices `sent`, newest first.
fn atom(src: &Sources, c: &Customer, sent: &[Sent]) -> String {
    let loc = c.locale;
    let domain = &src.inv.organisation.domain;
    let updated = sent.first().map_or(stamp(src.now()), |s| s.at.clone());
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n\
<id>tag:{},2026:patchplan/customers/{}/notices</id>\n<title>{}: {}</title>\n<updated>{updated}</updated>\n\
<author><name>{}</name><email>{}</email></author>\n<link rel=\"self\" href=\"notices.atom\"/>\n<link rel=\"alternate\" href=\"index.html\"/>\n",
        loc.code(),
        e(domain),
        e(&c.id),
        e(w(W::FeedTitle, loc)),
        e(&c.name),
        e(&src.inv.organisation.name),
        e(&src.inv.organisation.email)
    );
    for s in sent {
        let n = s.notice;
        let title = match s.view.subject.as_deref() {
            None | Some("") => &n.id,
            Some(s) => s,
        };
        let mut entry = format!(
            "<entry>\n<id>tag:{},2026:patchplan/notices/{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<summary>{}</summary>\n",
            e(domain),
            e(&n.id),
            e(title),
            e(&s.at),
            e(s.view.reason.as_deref().unwrap_or(""))
        );
        if let Some(f) = n.files.iter().find(|f| f.ends_with(".html")) {
            entry.push_str(&format!(
                "<link rel=\"alternate\" type=\"text/html\" href=\"../../../{}\"/>\n",
                e(f)
            ));
        }
        entry.push_str("</entry>\n");
        out.push_str(&entry);
    }
    out.push_str("</feed>\n");
    out
}

/// What the report reads of a notice's view (its `.json` file); the rest is skipped, not built.
#[derive(Deserialize)]
pub struct ViewFacts {
    /// When it is sent (RFC 3339): a reminder at its time, not when it was made.
    pub send_at: String,
    pub subject: Option<String>,
    pub reason: Option<String>,
}

/// The facts of notice `n`'s view, if it has a readable one.
pub fn view_facts(n: &PublishedNotice) -> Option<ViewFacts> {
    serde_json::from_str(n.view.as_deref()?).ok()
}

/// A notice sent, with its view and when it was sent (an Atom date).
struct Sent<'a> {
    notice: &'a PublishedNotice,
    view: ViewFacts,
    at: String,
}

/// The notices sent by `now`, newest first (of notices sent at once, the last issued first).
fn sent<'a>(notices: &[&'a PublishedNotice], now: DateTime<Utc>) -> Vec<Sent<'a>> {
    let mut out: Vec<Sent> = notices
        .iter()
        .filter_map(|n| {
            let view = view_facts(n)?;
            let at = DateTime::parse_from_rfc3339(&view.send_at).ok()?.to_utc();
            (at <= now).then(|| Sent {
                notice: n,
                view,
                at: stamp(at),
            })
        })
        .collect();
    out.reverse();
    out.sort_by(|a, b| b.at.cmp(&a.at));
    out
}

/// An Atom date: RFC 3339 in UTC, to the second.
fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
