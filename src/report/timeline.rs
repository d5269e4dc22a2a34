//! The timeline of the horizon: a row per shown customer (every customer, unless the fleet is
//! too large to show; see [`super::by_customer`]), each window a bar placed in time (left edge
//! at its start, width its length, as a share of the range), coloured by kind and urgency; a
//! marker for now and for each deadline, blackouts shaded. The range is `data-from`/`data-to`
//! on the timeline, so anyone can check a bar's place. Hovering or focusing a bar shows its
//! details by CSS alone; each bar links to its row in the windows table.

use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::Sources;
use super::by_customer::{Share, Shown};
use super::html::{e, pct};
use crate::risk::Decision;
use crate::schedule::occurrence::localise;
use crate::schedule::{Window, WindowKind};

/// Tasks listed in a bar's details before "and N more".
const TIP_TASKS: usize = 8;

/// The instants the timeline spans: whole UTC days from the earlier of now and the first
/// window's start to the later of the horizon's end and the last window's end.
struct Range {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Range {
    fn of(src: &Sources) -> Range {
        let now = src.now();
        let first = src.plan.windows.iter().map(|w| w.start).min();
        let last = src.plan.windows.iter().map(|w| w.end).max();
        let from = first.map_or(now, |f| f.min(now));
        let to = last.map_or(now, |l| l.max(now + src.inv.defaults.horizon.delta()));
        let day = |t: DateTime<Utc>| t.date_naive().and_time(NaiveTime::MIN).and_utc();
        Range {
            from: day(from),
            to: day(to) + TimeDelta::days(1),
        }
    }

    /// Where `t` is, from 0 (the range's start) to 1 (its end).
    fn at(&self, t: DateTime<Utc>) -> f64 {
        let span = (self.to - self.from).num_seconds() as f64;
        ((t - self.from).num_seconds() as f64 / span).clamp(0.0, 1.0)
    }

    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t <= self.to
    }
}

/// The timeline of the `shown` customers, with the `deadlines` of each.
pub fn section(src: &Sources, shown: &Shown, deadlines: &[Vec<DateTime<Utc>>]) -> String {
    let range = Range::of(src);
    let mut out = format!(
        "<section id=\"timeline\" aria-labelledby=\"timeline-h\">\n<h2 id=\"timeline-h\">Timeline</h2>\n\
<p>From {} to {}. Each bar is a window; hover or focus one for its times and tasks, or follow it to the windows table.</p>\n{}{}\
<div class=\"timeline\" data-from=\"{}\" data-to=\"{}\">\n",
        range.from.format("%Y-%m-%d"),
        range.to.format("%Y-%m-%d"),
        cap_note(shown),
        LEGEND,
        range.from.to_rfc3339(),
        range.to.to_rfc3339()
    );
    out.push_str(&axis(&range));
    for (share, deadlines) in shown.shares.iter().zip(deadlines) {
        out.push_str(&row(src, &range, share, deadlines));
    }
    out.push_str("</div>\n</section>\n");
    out
}

/// What a fleet's timeline leaves out, said where it is left out; nothing when all is shown.
fn cap_note(shown: &Shown) -> String {
    if !shown.capped() {
        return String::new();
    }
    format!(
        "<p class=\"cap\" id=\"timeline-cap\" data-shown=\"{}\" data-customers=\"{}\">Showing {} of {} customers \
({} of {} windows): those with emergencies first, then those with attend or act work, soonest first. \
Every customer has a page of its own (see the notices below), and plan.json has every window.</p>\n",
        shown.shares.len(),
        shown.all.len(),
        shown.shares.len(),
        shown.all.len(),
        shown.windows(),
        shown.all_windows()
    )
}

const LEGEND: &str = "<ul class=\"legend\" aria-label=\"Legend\"><li><span class=\"k-planned\"></span>planned</li>\
<li><span class=\"k-high\"></span>planned, attend or act tasks</li><li><span class=\"k-emergency\"></span>emergency</li>\
<li><span class=\"k-blackout\"></span>blackout</li><li><span class=\"k-deadline\"></span>deadline</li><li><span class=\"k-now\"></span>now</li></ul>\n";

/// A tick at the start of every Monday (UTC).
fn axis(range: &Range) -> String {
    let mut out = String::from(
        "<div class=\"tl-axis\" aria-hidden=\"true\"><div class=\"tl-label\"></div><div class=\"tl-track\">",
    );
    let mut day = range.from;
    while day < range.to {
        if day.weekday() == chrono::Weekday::Mon {
            out.push_str(&format!(
                "<span class=\"tick\" style=\"left:{}\">{}</span>",
                pct(range.at(day)),
                day.format("%a %d %b")
            ));
        }
        day += TimeDelta::days(1);
    }
    out.push_str("</div></div>\n");
    out
}

fn row(src: &Sources, range: &Range, share: &Share, deadlines: &[DateTime<Utc>]) -> String {
    let c = share.customer;
    let mut out = format!(
        "<div class=\"tl-row\" data-customer=\"{}\"><div class=\"tl-label\">{} <span class=\"muted\">{}</span></div><div class=\"tl-track\">",
        e(&c.id),
        e(&c.name),
        e(c.timezone.name())
    );
    for b in &c.blackouts {
        let start = localise(c.timezone, b.from.and_time(NaiveTime::MIN)).to_utc();
        let end = localise(
            c.timezone,
            (b.to + TimeDelta::days(1)).and_time(NaiveTime::MIN),
        )
        .to_utc();
        if end < range.from || start > range.to {
            continue;
        }
        let (l, r) = (range.at(start), range.at(end));
        out.push_str(&format!(
            "<span class=\"blackout\" style=\"left:{};width:{}\" title=\"Blackout {} to {}{}: {}\"></span>",
            pct(l),
            pct(r - l),
            b.from,
            b.to,
            if b.hard { " (hard)" } else { "" },
            e(&b.reason)
        ));
    }
    for &d in deadlines.iter().filter(|d| range.contains(**d)) {
        out.push_str(&format!(
            "<span class=\"deadline\" style=\"left:{}\" title=\"Deadline {}\"></span>",
            pct(range.at(d)),
            d.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    out.push_str(&format!(
        "<span class=\"now\" style=\"left:{}\" title=\"Now: {}\"></span>",
        pct(range.at(src.now())),
        src.now().format("%Y-%m-%d %H:%M UTC")
    ));
    for w in &share.windows {
        out.push_str(&bar(range, w));
    }
    out.push_str("</div></div>\n");
    out
}

/// How urgent a window is, most first: 0 an emergency, 1 a planned window with attend or act
/// tasks, 2 another planned window.
pub fn urgency(w: &Window) -> u8 {
    match class(w) {
        "emergency" => 0,
        "high" => 1,
        _ => 2,
    }
}

/// `planned`, `high` (a planned window with attend or act tasks) or `emergency`.
fn class(w: &Window) -> &'static str {
    let urgent = w.tasks.iter().any(|t| t.decision >= Decision::Attend);
    match w.kind {
        WindowKind::Emergency => "emergency",
        WindowKind::Planned if urgent => "high",
        WindowKind::Planned => "planned",
    }
}

pub fn kind_badge(w: &Window) -> String {
    let kind = w.kind.as_str();
    format!("<span class=\"badge {}\">{kind}</span>", class(w))
}

fn bar(range: &Range, w: &Window) -> String {
    let (l, r) = (range.at(w.start), range.at(w.end));
    let id = e(&w.id);
    let kind = match w.kind {
        WindowKind::Emergency => "Emergency intervention",
        WindowKind::Planned => "Planned window",
    };
    let mut tip = format!(
        "<strong>{kind}</strong> {id}<br>Local: {} – {}<br>UTC: {} – {}<br>Environments: {}<ul>",
        e(&local(w.start, &w.timezone)),
        e(&local(w.end, &w.timezone)),
        w.start.format("%Y-%m-%d %H:%M"),
        w.end.format("%Y-%m-%d %H:%M"),
        e(&w.environments.join(", "))
    );
    for t in w.tasks.iter().take(TIP_TASKS) {
        tip.push_str(&format!(
            "<li>{}: {} {} → {} ({})</li>",
            e(&t.environment),
            e(&t.package),
            e(&t.from),
            e(&t.to),
            e(t.decision.as_str())
        ));
    }
    if w.tasks.len() > TIP_TASKS {
        tip.push_str(&format!("<li>and {} more</li>", w.tasks.len() - TIP_TASKS));
    }
    tip.push_str("</ul>");
    format!(
        "<a class=\"bar {}\" href=\"#w-{id}\" data-window=\"{id}\" data-start=\"{}\" data-end=\"{}\" style=\"left:{};width:{}\" aria-label=\"{kind} {id}\" aria-describedby=\"tip-{id}\"><span class=\"tip\" role=\"tooltip\" id=\"tip-{id}\">{tip}</span></a>",
        class(w),
        w.start.to_rfc3339(),
        w.end.to_rfc3339(),
        pct(l),
        pct(r - l)
    )
}

/// `t` in the zone `tz` (`Sun 01 Nov 01:30 EDT`), or UTC when the zone is unknown.
pub fn local(t: DateTime<Utc>, tz: &str) -> String {
    match tz.parse::<Tz>() {
        Ok(zone) => t
            .with_timezone(&zone)
            .format("%a %d %b %H:%M %Z")
            .to_string(),
        Err(_) => t.format("%a %d %b %H:%M UTC").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn places_instants_as_shares_of_the_range() {
        let range = Range {
            from: t("2026-10-27T00:00:00Z"),
            to: t("2026-10-31T00:00:00Z"),
        };
        let case = |at: &str, want: f64| {
            let got = range.at(t(at));
            assert!((got - want).abs() < 1e-12, "{at}: {got}, want {want}");
        };
        case("2026-10-27T00:00:00Z", 0.0);
        case("2026-10-28T00:00:00Z", 0.25);
        case("2026-10-29T12:00:00Z", 0.625);
        case("2026-10-31T00:00:00Z", 1.0);
        // Outside the range: held at its edges, so a bar never leaves its track.
        case("2026-10-20T00:00:00Z", 0.0);
        case("2026-11-20T00:00:00Z", 1.0);
        assert!(range.contains(t("2026-10-30T00:00:00Z")));
        assert!(!range.contains(t("2026-11-01T00:00:00Z")));
    }

    #[test]
    fn local_times_name_their_zone() {
        let at = t("2026-11-01T05:30:00Z");
        assert_eq!(local(at, "America/New_York"), "Sun 01 Nov 01:30 EDT");
        assert_eq!(local(at, "Europe/Madrid"), "Sun 01 Nov 06:30 CET");
        assert_eq!(local(at, "Not/AZone"), "Sun 01 Nov 05:30 UTC");
    }
}
