//! Raw files -> [`Inventory`]: parses each file, checks each value, resolves every reference
//! (customers, stacks, windows, rollout predecessors, override scopes) and records every problem.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use toml::Spanned;

use super::check::Check;
use super::model::*;
use super::raw::*;
use super::{Files, vex};
use crate::advisory::Advisory;
use crate::decision::Decision;
use crate::diag::{Diagnostic, Source};
use crate::duration::Duration;
use crate::inputs::distro::Distro;
use crate::inputs::{self, Host, Kind, Package, restart};
use crate::purl;
use crate::shared_list::SharedList;
use crate::version::{Scheme, canonical_ecosystem, canonical_name};

/// The longest a component upgrade (or its downtime) may take, in minutes: one week. The bound
/// keeps schedule arithmetic far from overflow.
const MAX_TASK_MINUTES: u32 = 7 * 24 * 60;

/// The default DTSTART of window rules: anchors INTERVAL and COUNT.
const DEFAULT_SINCE: &str = "2026-01-01";

pub(crate) fn validate(
    root: &Path,
    files: &Files,
    advisories: Vec<Advisory>,
    diags: &mut Vec<Diagnostic>,
) -> Inventory {
    let mut warnings = Vec::new();
    let raw_config: Option<RawConfig> = parse(&files.config, diags);
    let (organisation, defaults, feeds, policy) = match &raw_config {
        Some(raw) => config(root, &files.config, raw, diags),
        None => placeholder_config(),
    };
    let delivery = match &raw_config {
        Some(raw) => {
            super::delivery::delivery(&files.config, raw, &organisation, diags, &mut warnings)
        }
        None => Delivery::default(),
    };
    use rayon::prelude::*;
    let mut clock = crate::timing::Clock::start();
    // A fleet has thousands of customers: parsed and built on every core, their problems
    // reported in file order.
    let built: Vec<_> = (files.customers.par_iter())
        .map(|src| {
            let (mut found, mut warned) = (Vec::new(), Vec::new());
            let made = parse::<RawCustomer>(src, &mut found).map(|raw| {
                let emailed = delivery.smtp.is_some();
                let c = customer(src, &raw, &defaults, emailed, &mut found, &mut warned);
                (src, raw.id.clone(), c)
            });
            (made, found, warned)
        })
        .collect();
    let mut parsed = Vec::with_capacity(built.len());
    for (made, found, warned) in built {
        diags.extend(found);
        warnings.extend(warned);
        parsed.extend(made);
    }
    let customers = unique(parsed.into_iter(), "customer", diags);
    clock.lap("    customers");
    let parsed: Vec<_> = files
        .stacks
        .iter()
        .filter_map(|src| {
            let raw: RawStack = parse(src, diags)?;
            let origin = format!("stack {}", raw.id.get_ref());
            let comps = shared(components(src, &raw.components, &origin, &defaults, diags));
            Some((src, raw.id.clone(), comps))
        })
        .collect();
    let stacks: BTreeMap<String, Vec<Arc<Component>>> = unique(parsed.into_iter(), "stack", diags);
    clock.lap("    stacks");
    // A fleet has tens of thousands of environment files: parsed and built on every core, their
    // problems reported in file order.
    let parsed: Vec<(&Source, Option<RawEnvironment>, Vec<Diagnostic>)> = (files.environments)
        .par_iter()
        .map(|src| {
            let mut found = Vec::new();
            let raw = parse(src, &mut found);
            (src, raw, found)
        })
        .collect();
    clock.lap("    parse environments");
    let mut raw_envs: Vec<(&Source, RawEnvironment)> = Vec::with_capacity(parsed.len());
    for (src, raw, found) in parsed {
        diags.extend(found);
        raw_envs.extend(raw.map(|r| (src, r)));
    }
    let env_ids: HashSet<String> = raw_envs
        .iter()
        .map(|(_, r)| r.id.get_ref().clone())
        .collect();
    let context = EnvContext {
        root,
        customers: &customers,
        stacks: &stacks,
        env_ids: &env_ids,
        defaults: &defaults,
        single_versioned: (stacks.iter())
            .filter(|(_, comps)| {
                let mut w = Vec::new();
                warn_two_versions("", comps.iter(), &mut w);
                w.is_empty()
            })
            .map(|(id, _)| id.as_str())
            .collect(),
        shared_stacks: (stacks.iter())
            .map(|(id, comps)| (id.as_str(), (Arc::from(&comps[..]), places(comps))))
            .collect(),
    };
    let built: Vec<_> = raw_envs
        .par_iter()
        .map(|(src, raw)| {
            let (mut found, mut warned) = (Vec::new(), Vec::new());
            let env = environment(src, raw, &context, &mut found, &mut warned);
            ((*src, raw.id.clone(), env), found, warned)
        })
        .collect();
    let mut parsed = Vec::with_capacity(built.len());
    for (env, found, warned) in built {
        diags.extend(found);
        warnings.extend(warned);
        parsed.push(env);
    }
    clock.lap("    build environments");
    let environments = unique(parsed.into_iter(), "environment", diags);
    check_rollout_cycles(&raw_envs, diags);
    clock.lap("    unique, rollout cycles");
    let vex = match &raw_config {
        Some(raw) => vex::load(
            root,
            &files.config,
            &raw.vex,
            &env_ids,
            diags,
            &mut warnings,
        ),
        None => Vec::new(),
    };
    let overrides = match &files.overrides {
        Some(src) => parse::<RawOverrides>(src, diags)
            .map(|raw| {
                let mut o = overrides(src, &raw, &env_ids, diags);
                o.pins = super::windows::pins(src, &raw.pins, &customers, &environments, diags);
                o
            })
            .unwrap_or_default(),
        None => Overrides::default(),
    };
    warn_unreached(&delivery, customers.values(), &mut warnings);
    Inventory {
        root: root.to_path_buf(),
        organisation,
        defaults,
        feeds,
        policy,
        customers: customers.into_values().collect(),
        environments: environments.into_values().collect(),
        advisories,
        overrides,
        vex,
        delivery,
        warnings,
    }
}

fn parse<T: serde::de::DeserializeOwned>(src: &Source, diags: &mut Vec<Diagnostic>) -> Option<T> {
    src.parse_toml().map_err(|d| diags.push(d)).ok()
}

/// Collects `(file, id, value)` into a map by id, reporting ids that break the id rule and
/// duplicate ids.
fn unique<'a, T>(
    items: impl Iterator<Item = (&'a Source, Spanned<String>, T)>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, T> {
    let mut out = BTreeMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (src, id, value) in items {
        if let Err(e) = super::check::id_rule(id.get_ref()) {
            diags.push(src.at(id.span(), format!("{what} {e}")));
        }
        if let Some(first) = seen.get(id.get_ref()) {
            let message = format!(
                "duplicate {what} id `{}` (first defined in {first})",
                id.get_ref()
            );
            diags.push(src.at(id.span(), message));
            continue;
        }
        seen.insert(id.get_ref().clone(), src.path.display().to_string());
        out.insert(id.into_inner(), value);
    }
    out
}

fn placeholder_config() -> (Organisation, Defaults, Vec<FeedSpec>, Policy) {
    let org = Organisation {
        name: String::new(),
        email: String::new(),
        domain: String::new(),
    };
    (org, default_defaults(), Vec::new(), Policy::default())
}

fn default_defaults() -> Defaults {
    Defaults {
        timezone: chrono_tz::UTC,
        locale: Locale::En,
        notice: Duration::from_minutes(72 * 60),
        emergency_lead: Duration::from_minutes(120),
        patch_minutes: 15,
        horizon: Duration::from_minutes(45 * 1440),
    }
}

fn config(
    root: &Path,
    src: &Source,
    raw: &RawConfig,
    diags: &mut Vec<Diagnostic>,
) -> (Organisation, Defaults, Vec<FeedSpec>, Policy) {
    let mut c = Check { src, diags };
    let base = default_defaults();
    let d = &raw.defaults;
    let defaults = Defaults {
        timezone: d
            .timezone
            .as_ref()
            .and_then(|t| c.timezone(t))
            .unwrap_or(base.timezone),
        locale: d
            .locale
            .as_ref()
            .and_then(|l| locale(&mut c, l))
            .unwrap_or(base.locale),
        notice: c.duration_or(d.notice.as_ref(), base.notice),
        emergency_lead: c.duration_or(d.emergency_lead.as_ref(), base.emergency_lead),
        patch_minutes: d
            .patch_minutes
            .unwrap_or(base.patch_minutes)
            .min(MAX_TASK_MINUTES),
        horizon: c.duration_or(d.horizon.as_ref(), base.horizon),
    };
    let mut feeds = Vec::new();
    let mut ids = HashSet::new();
    for f in &raw.feeds {
        if !ids.insert(f.id.get_ref().clone()) {
            c.error(&f.id, format!("duplicate feed id `{}`", f.id.get_ref()));
        }
        // The id names the feed's directory in the cache.
        c.id("feed", &f.id);
        let text = f.source.get_ref();
        let remote = text.starts_with("http://") || text.starts_with("https://");
        if remote && f.kind == FeedKind::Native {
            c.error(
                &f.source,
                "a native feed is a directory of TOML files; it cannot be a URL",
            );
        }
        let path = root.join(text);
        if !remote && !path.exists() {
            c.error(
                &f.source,
                format!(
                    "feed source `{text}` does not exist (relative to {})",
                    root.display()
                ),
            );
        }
        let source = if remote {
            text.clone()
        } else {
            path.display().to_string()
        };
        feeds.push(FeedSpec {
            id: f.id.get_ref().clone(),
            kind: f.kind,
            source,
        });
    }
    let policy = policy(&mut c, &raw.policy);
    let o = &raw.organisation;
    c.no_control(&[&o.name, &o.email], "the organisation's");
    let org = Organisation {
        name: o.name.get_ref().clone(),
        email: o.email.get_ref().clone(),
        domain: o.domain.clone(),
    };
    (org, defaults, feeds, policy)
}

fn policy(c: &mut Check, raw: &RawPolicy) -> Policy {
    let mut policy = Policy::default();
    if let Some(t) = &raw.epss_threshold {
        if (0.0..=1.0).contains(t.get_ref()) {
            policy.epss_threshold = *t.get_ref();
        } else {
            c.diags.push(c.src.at(
                t.span(),
                "epss_threshold must be a percentile between 0 and 1",
            ));
        }
    }
    if let Some(v) = &raw.assume_technical_impact {
        match v.get_ref().as_str() {
            "total" => policy.assume_total_impact = true,
            "partial" => policy.assume_total_impact = false,
            other => c.error(
                v,
                format!("unknown technical impact `{other}`: expected total or partial"),
            ),
        }
    }
    if let Some(a) = raw.assume_automatable {
        policy.assume_automatable = a;
    }
    if let Some(list) = &raw.emergency {
        policy.emergency = list.iter().filter_map(|d| decision(c, d)).collect();
    }
    let (base, stale) = (policy.stale_after, &raw.stale_after);
    policy.stale_after = StaleAfter {
        osv: c.duration_or(stale.osv.as_ref(), base.osv),
        kev: c.duration_or(stale.kev.as_ref(), base.kev),
        epss: c.duration_or(stale.epss.as_ref(), base.epss),
    };
    if let Some(v) = &raw.emergency_on_missed_deadline
        && let Some(m) = missed_deadline(c, v)
    {
        policy.emergency_on_missed_deadline = m;
    }
    policy.sla = sla(c, &raw.sla);
    policy.outcome_grace = c.duration_or(raw.outcome_grace.as_ref(), policy.outcome_grace);
    policy
}

fn decision(c: &mut Check, value: &Spanned<String>) -> Option<Decision> {
    let found = Decision::parse(value.get_ref());
    if found.is_none() {
        let text = value.get_ref();
        c.error(
            value,
            format!("unknown decision `{text}`: expected track, track*, attend or act"),
        );
    }
    found
}

fn missed_deadline(c: &mut Check, value: &Spanned<toml::Value>) -> Option<MissedDeadline> {
    let found = match value.get_ref() {
        toml::Value::Boolean(true) => Ok(MissedDeadline::Always),
        toml::Value::Boolean(false) => Ok(MissedDeadline::Never),
        toml::Value::String(s) => s.parse().map(MissedDeadline::Within).map_err(|e: String| e),
        other => Err(format!("found {}", other.type_str())),
    };
    found
        .map_err(|e| {
            let message = format!(
                "emergency_on_missed_deadline is true, false or a duration such as \"3d\" ({e})"
            );
            c.diags.push(c.src.at(value.span(), message));
        })
        .ok()
}

/// `[policy.sla.TIER] DECISION = "7d"`, in tier then decision order.
fn sla(c: &mut Check, raw: &RawSla) -> Vec<Sla> {
    let tiers = [
        (Tier::Standard, &raw.standard),
        (Tier::Premium, &raw.premium),
        (Tier::Critical, &raw.critical),
    ];
    let mut out = Vec::new();
    for (tier, table) in tiers {
        let Some(t) = table else { continue };
        let decisions = [
            (Decision::Act, &t.act),
            (Decision::Attend, &t.attend),
            (Decision::TrackStar, &t.track_star),
            (Decision::Track, &t.track),
        ];
        for (decision, value) in decisions {
            if let Some(within) = value.as_ref().and_then(|v| c.duration(v)) {
                out.push(Sla {
                    tier,
                    decision,
                    within,
                });
            }
        }
    }
    out
}

fn locale(c: &mut Check, value: &Spanned<String>) -> Option<Locale> {
    let found = Locale::parse(value.get_ref());
    if found.is_none() {
        c.error(
            value,
            format!("unknown locale `{}`: expected en or es", value.get_ref()),
        );
    }
    found
}

fn customer(
    src: &Source,
    raw: &RawCustomer,
    defaults: &Defaults,
    emailed: bool,
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<String>,
) -> Customer {
    let mut c = Check { src, diags };
    let mut window_ids = HashSet::new();
    let mut windows = Vec::new();
    let timezone = (raw.timezone.as_ref())
        .and_then(|t| c.timezone(t))
        .unwrap_or(defaults.timezone);
    for w in &raw.windows {
        if !window_ids.insert(w.id.get_ref().clone()) {
            c.error(&w.id, format!("duplicate window id `{}`", w.id.get_ref()));
        }
        c.id("window", &w.id);
        if let Some(spec) = window(&mut c, w, timezone) {
            windows.push(spec);
        }
    }
    let blackouts = raw
        .blackouts
        .iter()
        .filter_map(|b| {
            let (from, to) = (c.date(&b.from), c.date(&b.to));
            let (from, to) = (from?, to?);
            if to < from {
                c.error(&b.to, "blackout ends before it starts");
            }
            Some(Blackout {
                from,
                to,
                reason: b.reason.clone(),
                hard: b.hard,
            })
        })
        .collect();
    Customer {
        id: raw.id.get_ref().clone(),
        name: raw.name.clone(),
        timezone,
        locale: raw
            .locale
            .as_ref()
            .and_then(|l| locale(&mut c, l))
            .unwrap_or(defaults.locale),
        tier: raw.tier,
        notice: c.duration_or(raw.notice.as_ref(), defaults.notice),
        disclosure: raw.disclosure,
        contacts: raw
            .contacts
            .iter()
            .map(|k| contact(&mut c, k, emailed, warnings))
            .collect(),
        webhook: raw
            .webhook
            .as_ref()
            .and_then(|w| super::delivery::webhook(&mut c, w, warnings)),
        reminders: reminders(&mut c, &raw.reminders),
        windows,
        blackouts,
    }
}

/// A warning for each customer no notice can reach: no contacts and no webhook while notices
/// are emailed (`send` would pass over its notices, emergencies included, in silence).
fn warn_unreached<'a>(
    delivery: &Delivery,
    customers: impl Iterator<Item = &'a Customer>,
    warnings: &mut Vec<String>,
) {
    if delivery.smtp.is_none() || delivery.webhook.is_some() {
        return;
    }
    for c in customers.filter(|c| c.contacts.is_empty() && c.webhook.is_none()) {
        warnings.push(format!(
            "customer `{}` has no contacts and no webhook: its notices are written, but `send` delivers them to no one",
            c.id
        ));
    }
}

/// A customer's reminder leads: each once (two of one length would be one notice issued
/// twice), however it is written (`1h`, `60m`).
fn reminders(c: &mut Check, raw: &[Spanned<String>]) -> Vec<Duration> {
    let mut out: Vec<Duration> = Vec::new();
    for r in raw {
        let Some(lead) = c.duration(r) else { continue };
        if out.contains(&lead) {
            let quoted = crate::diag::excerpt(r.get_ref());
            c.error(
                r,
                format!("reminder `{quoted}` is as long as an earlier one: each once"),
            );
        } else {
            out.push(lead);
        }
    }
    out
}

/// A customer's contact: its address must be one a mail can go to (a contact whose is not
/// would have none of its notices: an error where notices are emailed, a warning where not),
/// and neither it nor the name may hold a control character (see [`Check::no_control`]).
fn contact(c: &mut Check, k: &RawContact, emailed: bool, warnings: &mut Vec<String>) -> Contact {
    c.no_control(&[&k.name, &k.email], "a contact's");
    let email = k.email.get_ref();
    if !email.chars().any(char::is_control)
        && let Err(e) = email.parse::<lettre::Address>()
    {
        let quoted = crate::diag::excerpt(email);
        let hint = match email.contains('<') {
            true => "put the name in `name` and only the address in `email`",
            false => "expected name@domain",
        };
        let message = format!("`{quoted}` is not an email address ({e}): {hint}");
        // An error where notices are emailed; without [delivery] smtp, only the calendar
        // invitations' attendee shows it.
        match emailed {
            true => c.error(&k.email, message),
            false => warnings.push(c.src.at(k.email.span(), message).to_string()),
        }
    }
    Contact {
        name: k.name.get_ref().clone(),
        email: email.clone(),
    }
}

fn window(c: &mut Check, w: &RawWindow, tz: chrono_tz::Tz) -> Option<WindowSpec> {
    let rule = w
        .rrule
        .get_ref()
        .parse()
        .map_err(|e: String| c.error(&w.rrule, format!("invalid RRULE: {e}")))
        .ok();
    let since = match &w.since {
        Some(s) => c.date(s),
        None => DEFAULT_SINCE.parse().ok(),
    };
    let start = c.time(&w.start);
    let duration = c.duration(&w.duration);
    let offset = c.duration_or(w.offset.as_ref(), Duration::ZERO);
    if let Some(o) = &w.offset
        && offset.minutes() % 1440 != 0
    {
        c.error(o, "an offset is a whole number of days, such as `4d`");
    }
    if let (Some(s), Some(date)) = (&w.since, since)
        && !(1970..=9999).contains(&chrono::Datelike::year(&date))
    {
        c.error(s, "`since` must be a date between 1970 and 9999");
    }
    let cutoff = c.duration_or(w.cutoff.as_ref(), Duration::ZERO);
    if let Some(d) = duration
        && (d == Duration::ZERO || cutoff >= d)
    {
        c.error(
            &w.duration,
            "a window must be longer than zero and than its cutoff",
        );
    }
    if let Some(m) = w.max_changes.as_ref().filter(|m| *m.get_ref() == 0) {
        c.diags
            .push(c.src.at(m.span(), "max_changes must be at least 1"));
    }
    let spec = WindowSpec {
        id: w.id.get_ref().clone(),
        rule: rule?,
        since: since?,
        offset,
        start: start?,
        duration: duration?,
        cutoff,
        max_changes: w.max_changes.as_ref().map(|m| *m.get_ref()),
    };
    super::windows::check(c, w, &spec, tz);
    Some(spec)
}

fn components(
    src: &Source,
    raw: &[RawComponent],
    origin: &str,
    defaults: &Defaults,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Component> {
    raw.iter()
        .filter_map(|r| component(src, r, origin, defaults, diags))
        .collect()
}

/// Whether a component's `ecosystem`, `name` and `version`, where it has them beside a `purl`,
/// say the same package as the purl (an error at each that does not: which one was meant is not
/// known). Only a contradiction is one: an ecosystem may add the release a purl cannot carry
/// (`Debian:12` beside `pkg:deb/debian/...`), a `generic` purl names none, names are compared
/// without case and with `-` and `_` alike, and versions by their ecosystem's order (`4.2` is
/// `4.2.0`, Go's `v0.17.0` is `0.17.0`).
fn agrees_with_purl(c: &mut Check, raw: &RawComponent, p: &purl::Purl) -> bool {
    use crate::version::ecosystem_base;
    let eco = canonical_ecosystem(&p.ecosystem);
    let given_eco = (raw.ecosystem.as_ref()).map(|e| canonical_ecosystem(e.get_ref()));
    let loose = |n: &str| n.to_lowercase().replace('_', "-");
    let scheme = Scheme::for_ecosystem(given_eco.as_deref().unwrap_or(&eco));
    let same_version = |a: &str, b: &str| {
        let (a, b) = (a.trim_start_matches('v'), b.trim_start_matches('v'));
        a == b || matches!((scheme.parse(a), scheme.parse(b)), (Ok(x), Ok(y)) if x == y)
    };
    let mut conflicts = Vec::new();
    if let (Some(field), Some(given)) = (&raw.ecosystem, &given_eco)
        && p.ecosystem != "generic"
        && ecosystem_base(given) != ecosystem_base(&eco)
    {
        conflicts.push((field, "ecosystem", eco.clone()));
    }
    if let Some(field) = &raw.name
        && loose(field.get_ref()) != loose(&p.name)
    {
        conflicts.push((field, "name", p.name.clone()));
    }
    if let (Some(field), Some(version)) = (&raw.version, &p.version)
        && !same_version(field.get_ref(), version)
    {
        conflicts.push((field, "version", version.clone()));
    }
    for (field, key, purl) in &conflicts {
        let (quoted, purl) = (
            crate::diag::excerpt(field.get_ref()),
            crate::diag::excerpt(purl),
        );
        c.error(
            field,
            format!("`{key}` `{quoted}` is not the purl's `{purl}`: give one"),
        );
    }
    conflicts.is_empty()
}

fn component(
    src: &Source,
    raw: &RawComponent,
    origin: &str,
    defaults: &Defaults,
    diags: &mut Vec<Diagnostic>,
) -> Option<Component> {
    let mut c = Check { src, diags };
    let from_purl = match &raw.purl {
        Some(p) => Some(purl::parse(p.get_ref()).map_err(|e| c.error(p, e)).ok()?),
        None => None,
    };
    if let Some(p) = &from_purl
        && !agrees_with_purl(&mut c, raw, p)
    {
        return None;
    }
    let ecosystem = raw
        .ecosystem
        .as_ref()
        .map(|e| e.get_ref().clone())
        .or(from_purl.as_ref().map(|p| p.ecosystem.clone()));
    let name = raw
        .name
        .as_ref()
        .map(|n| n.get_ref().clone())
        .or(from_purl.as_ref().map(|p| p.name.clone()));
    let version = raw.version.clone().or(from_purl
        .as_ref()
        .and_then(|p| p.version.clone())
        .map(|v| Spanned::new(raw.purl.as_ref().map_or(0..0, |p| p.span()), v)));
    let (Some(ecosystem), Some(name), Some(version)) = (ecosystem, name, version) else {
        let at = raw
            .purl
            .as_ref()
            .or(raw.name.as_ref())
            .or(raw.ecosystem.as_ref())
            .or(raw.version.as_ref());
        let message =
            "a component needs `name`, `ecosystem` and `version`, or a `purl` (with a version)";
        c.diags.push(match at {
            Some(v) => c.src.at(v.span(), message),
            None => Source::whole(&c.src.path, message),
        });
        return None;
    };
    let ecosystem = canonical_ecosystem(&ecosystem);
    if let Some(m) = raw
        .patch_minutes
        .as_ref()
        .filter(|m| *m.get_ref() > MAX_TASK_MINUTES)
    {
        let message = format!("patch_minutes must be at most {MAX_TASK_MINUTES} (one week)");
        c.diags.push(c.src.at(m.span(), message));
        return None;
    }
    if raw.downtime_minutes > MAX_TASK_MINUTES {
        let at = raw
            .name
            .as_ref()
            .or(raw.purl.as_ref())
            .map_or(0..0, |n| n.span());
        let message = format!("downtime_minutes must be at most {MAX_TASK_MINUTES} (one week)");
        c.diags.push(c.src.at(at, message));
        return None;
    }
    if let Err(e) = Scheme::for_ecosystem(&ecosystem).parse(version.get_ref()) {
        c.error(
            &version,
            format!("component `{name}`: {e}{}", unknown_note(&ecosystem)),
        );
        return None;
    }
    Some(Component {
        name: canonical_name(&ecosystem, &name),
        ecosystem,
        version: version.into_inner(),
        patch_minutes: raw
            .patch_minutes
            .as_ref()
            .map_or(defaults.patch_minutes, |m| *m.get_ref()),
        restart: raw.restart,
        downtime_minutes: raw.downtime_minutes,
        origin: origin.to_string(),
        binaries: Vec::new(),
        restart_why: None,
    })
}

struct EnvContext<'a> {
    root: &'a Path,
    customers: &'a BTreeMap<String, Customer>,
    stacks: &'a BTreeMap<String, Vec<Arc<Component>>>,
    env_ids: &'a HashSet<String>,
    defaults: &'a Defaults,
    /// The stacks that declare no component at two versions.
    single_versioned: HashSet<&'a str>,
    /// Each stack's components as the environments of that one stack share them, and their
    /// places by (ecosystem, name): where an environment's own component replaces the stack's is
    /// found by looking it up, not by a pass over the stack.
    shared_stacks: HashMap<&'a str, SharedStack<'a>>,
}

/// A stack's components as its environments share them, and their places.
type SharedStack<'a> = (Arc<[Arc<Component>]>, Places<'a>);

/// Components' places in a list, by (ecosystem, name).
type Places<'a> = rustc_hash::FxHashMap<(&'a str, &'a str), Vec<u32>>;

/// The places of `components` by (ecosystem, name).
fn places(components: &[Arc<Component>]) -> Places<'_> {
    let mut out = Places::default();
    for (i, c) in components.iter().enumerate() {
        out.entry(key(c)).or_default().push(i as u32);
    }
    out
}

fn environment(
    src: &Source,
    raw: &RawEnvironment,
    cx: &EnvContext,
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<String>,
) -> Environment {
    let customer = cx.customers.get(raw.customer.get_ref());
    let mut c = Check { src, diags };
    if customer.is_none() {
        c.error(
            &raw.customer,
            format!("unknown customer `{}`", raw.customer.get_ref()),
        );
    }
    for w in &raw.windows {
        if let Some(cust) = customer
            && !cust.windows.iter().any(|s| s.id == *w.get_ref())
        {
            c.error(
                w,
                format!("customer `{}` has no window `{}`", cust.id, w.get_ref()),
            );
        }
    }
    if let Some(after) = &raw.after {
        if !cx.env_ids.contains(after.get_ref()) {
            c.error(
                after,
                format!("unknown environment `{}` in `after`", after.get_ref()),
            );
        } else if after.get_ref() == raw.id.get_ref() {
            c.error(after, "an environment cannot come after itself");
        }
    }
    let soak = c.duration_or(raw.soak.as_ref(), Duration::ZERO);
    // An environment of one stack shares its stack's list; of several, it has a list of its own.
    let one_stack = match &raw.stacks[..] {
        [s] => cx.shared_stacks.get(s.get_ref().as_str()),
        _ => None,
    };
    let mut merged: Vec<Arc<Component>> = Vec::new();
    for stack in &raw.stacks {
        match cx.stacks.get(stack.get_ref()) {
            Some(comps) if one_stack.is_none() => merged.extend(comps.iter().cloned()),
            Some(_) => {}
            None => c.error(stack, format!("unknown stack `{}`", stack.get_ref())),
        }
    }
    let own_origin = src.path.display().to_string();
    let own = shared(components(
        src,
        &raw.components,
        &own_origin,
        cx.defaults,
        diags,
    ));
    let host = host(&mut Check { src, diags }, raw);
    let mut listed = Vec::new();
    for lock in &raw.lockfiles {
        // A bad `distro` is reported at its key, not again at each OS package list.
        let Some(host) = host.as_ref().or_else(|| {
            (!inputs::is_os_package_list(Path::new(lock.get_ref()))).then_some(&NO_HOST)
        }) else {
            continue;
        };
        let kind = Kind::Lockfile;
        listed.extend(shared(input_components(
            src, lock, kind, host, cx, diags, warnings,
        )));
    }
    for sbom in &raw.sboms {
        let kind = Kind::Sbom;
        let host = host.as_ref().unwrap_or(&NO_HOST);
        listed.extend(shared(input_components(
            src, sbom, kind, host, cx, diags, warnings,
        )));
    }
    // The environment's own entry for a listed package wins, as over a stack's: that is how an
    // inventory says otherwise about an OS package's restart or downtime.
    let declared: HashSet<(&str, &str)> = own
        .iter()
        .map(|o| (o.ecosystem.as_str(), o.name.as_str()))
        .collect();
    listed.retain(|l| !declared.contains(&(l.ecosystem.as_str(), l.name.as_str())));
    drop(declared);
    // Declared components only: a lockfile holding two versions of one package is ordinary.
    // An environment of one stack that has none, and its own components (which replace the
    // stack's of the same name), has none either: a fleet's thousands of such are not checked.
    let one_clean_stack = match &raw.stacks[..] {
        [] => true,
        [s] => cx.single_versioned.contains(s.get_ref().as_str()),
        _ => false,
    };
    warn_declared_twice(raw.id.get_ref(), &own, warnings);
    let own = last_of_each(own);
    let components = match one_stack {
        Some((stack, places)) => {
            let removed = replaced(places, &own);
            let declared = stack.len() - removed.len() + own.len();
            let mut rest = own;
            rest.extend(listed);
            let list = SharedList::new(stack.clone(), removed, rest);
            if !one_clean_stack {
                warn_two_versions(raw.id.get_ref(), list.iter().take(declared), warnings);
            }
            list
        }
        None => {
            merge_own(&mut merged, own);
            if !one_clean_stack {
                warn_two_versions(raw.id.get_ref(), &merged, warnings);
            }
            merged.extend(listed);
            merged.into()
        }
    };
    Environment {
        id: raw.id.get_ref().clone(),
        customer: raw.customer.get_ref().clone(),
        name: raw.name.clone(),
        exposure: raw.exposure,
        criticality: raw.criticality,
        after: raw.after.as_ref().map(|a| a.get_ref().clone()),
        soak,
        windows: raw.windows.iter().map(|w| w.get_ref().clone()).collect(),
        components,
    }
}

/// Components as environments hold them: shared, not copied.
fn shared(components: Vec<Component>) -> Vec<Arc<Component>> {
    components.into_iter().map(Arc::new).collect()
}

/// A host that names no release.
const NO_HOST: Host = Host {
    distro: None,
    pro: false,
};

/// The host its package lists come from: `distro` and `ubuntu_pro`, checked at their keys;
/// `None` when `distro` is wrong (reported).
fn host(c: &mut Check, raw: &RawEnvironment) -> Option<Host> {
    let distro = match &raw.distro {
        Some(d) => match d.get_ref().parse::<Distro>() {
            Ok(distro) => Some(distro),
            Err(e) => {
                c.error(d, e);
                return None;
            }
        },
        None => None,
    };
    let pro = raw.ubuntu_pro.as_ref().is_some_and(|p| *p.get_ref());
    if let (Some(p), Some(d)) = (raw.ubuntu_pro.as_ref(), &distro)
        && let Err(e) = d.clone().with_pro(pro)
    {
        c.diags.push(c.src.at(p.span(), e));
        return None;
    }
    Some(Host { distro, pro })
}

/// Adds an environment's own components (see [`last_of_each`]) to its stacks' `merged`: its own
/// win on the same (ecosystem, name). One pass with a set, not a search of the list per
/// component: 40,000 components took seconds that way.
fn merge_own(merged: &mut Vec<Arc<Component>>, own: Vec<Arc<Component>>) {
    if own.is_empty() {
        return;
    }
    let names: rustc_hash::FxHashSet<(&str, &str)> = own.iter().map(|c| key(c)).collect();
    merged.retain(|m| !names.contains(&key(m)));
    drop(names);
    merged.extend(own);
}

/// [`merge_own`] for an environment of one stack whose components are at `places`: the places
/// its own replace, found by lookup, not by a pass over the stack.
fn replaced(places: &Places, own: &[Arc<Component>]) -> Vec<u32> {
    (own.iter())
        .filter_map(|c| places.get(&key(c)))
        .flatten()
        .copied()
        .collect()
}

/// A component's (ecosystem, name).
fn key(c: &Component) -> (&str, &str) {
    (c.ecosystem.as_str(), c.name.as_str())
}

/// A warning for each (ecosystem, name) that an environment's own `[[components]]` declare twice:
/// only the last is checked (see [`last_of_each`]), and the other must not vanish unsaid.
fn warn_declared_twice(env: &str, own: &[Arc<Component>], warnings: &mut Vec<String>) {
    let mut first: rustc_hash::FxHashMap<(&str, &str), &str> = Default::default();
    for c in own {
        if let Some(earlier) = first.insert(key(c), &c.version) {
            warnings.push(format!(
                "environment `{env}`: component `{}` ({}) is declared twice in its [[components]], at {earlier} and {}; only the last is checked",
                c.name, c.ecosystem, c.version
            ));
        }
    }
}

/// An environment's own components with only the last entry of each (ecosystem, name), in order.
fn last_of_each(own: Vec<Arc<Component>>) -> Vec<Arc<Component>> {
    let last: rustc_hash::FxHashMap<(&str, &str), usize> =
        (own.iter().enumerate()).map(|(i, c)| (key(c), i)).collect();
    let keep: Vec<bool> = (own.iter().enumerate())
        .map(|(i, c)| last[&key(c)] == i)
        .collect();
    drop(last);
    (own.into_iter().zip(keep))
        .filter(|(_, k)| *k)
        .map(|(c, _)| c)
        .collect()
}

/// A warning for each component that an environment's stacks declare at two versions: both are
/// matched, which is rarely what was meant (the environment's own component would decide).
fn warn_two_versions<'a>(
    env: &str,
    merged: impl IntoIterator<Item = &'a Arc<Component>>,
    warnings: &mut Vec<String>,
) {
    let merged = merged.into_iter();
    let mut seen: rustc_hash::FxHashMap<(&str, &str), &str> = Default::default();
    seen.reserve(merged.size_hint().0);
    let mut reported = HashSet::new();
    for c in merged {
        let key = (c.ecosystem.as_str(), c.name.as_str());
        match seen.get(&key) {
            Some(v) if *v != c.version && reported.insert(key) => warnings.push(format!(
                "environment `{env}`: component `{}` ({}) is declared at two versions, {v} and {}; both are matched (declare it in the environment to choose one)",
                c.name, c.ecosystem, c.version
            )),
            Some(_) => {}
            None => {
                seen.insert(key, &c.version);
            }
        }
    }
}

/// Why a version was read as SemVer, for an ecosystem patchplan does not know.
fn unknown_note(ecosystem: &str) -> String {
    if crate::version::is_known_ecosystem(ecosystem) {
        String::new()
    } else {
        format!(
            " (ecosystem `{ecosystem}` is not one patchplan knows, so versions are read as SemVer)"
        )
    }
}

/// The packages of one of an environment's `lockfiles` or `sboms`, as components. A problem
/// inside the file is reported at its own position; a file that cannot be read, at the key.
fn input_components(
    src: &Source,
    file: &Spanned<String>,
    kind: Kind,
    host: &Host,
    cx: &EnvContext,
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<String>,
) -> Vec<Component> {
    match kind.read(&cx.root.join(file.get_ref()), host) {
        Ok(inputs) => {
            warnings.extend(inputs.warnings);
            inputs
                .packages
                .into_iter()
                .map(|p| listed_component(p, file.get_ref(), cx.defaults))
                .collect()
        }
        Err(crate::Error::Invalid(inner)) => {
            diags.extend(inner);
            Vec::new()
        }
        Err(e) => {
            let message = format!("cannot read {}: {e}", kind.noun());
            diags.push(src.at(file.span(), message));
            Vec::new()
        }
    }
}

/// A package of a list as a component. An OS package's upgrade restarts what the package says
/// (see [`crate::inputs::restart`]), and its downtime adds to the task's time in the window;
/// other packages restart their service with no downtime announced.
fn listed_component(p: Package, origin: &str, defaults: &Defaults) -> Component {
    let (restart, restart_why, binaries) = match p.os {
        Some(os) => (os.restart, Some(os.restart_why), os.binaries),
        None => (Restart::Service, None, Vec::new()),
    };
    let downtime_minutes = if restart_why.is_some() {
        restart::downtime(restart)
    } else {
        0
    };
    Component {
        ecosystem: p.ecosystem,
        name: p.name,
        version: p.version,
        patch_minutes: defaults.patch_minutes + downtime_minutes,
        restart,
        downtime_minutes,
        origin: origin.to_string(),
        binaries,
        restart_why,
    }
}

fn check_rollout_cycles(envs: &[(&Source, RawEnvironment)], diags: &mut Vec<Diagnostic>) {
    let after: HashMap<&str, &str> = envs
        .iter()
        .filter_map(|(_, r)| {
            Some((
                r.id.get_ref().as_str(),
                r.after.as_ref()?.get_ref().as_str(),
            ))
        })
        .collect();
    for (src, raw) in envs {
        let start = raw.id.get_ref().as_str();
        let mut path = vec![start];
        let mut cur = start;
        while let Some(next) = after.get(cur).copied() {
            if next == start && path.len() > 1 {
                // Report the cycle once, at its smallest member.
                if path.iter().all(|p| *p >= start) {
                    path.push(start);
                    // A duplicate id may stand in for a cycle member; the duplicate is reported.
                    let Some(at) = raw.after.as_ref() else { break };
                    diags.push(src.at(
                        at.span(),
                        format!("rollout order has a cycle: {}", path.join(" -> ")),
                    ));
                }
                break;
            }
            if path.contains(&next) || path.len() > envs.len() {
                break;
            }
            path.push(next);
            cur = next;
        }
    }
}

fn overrides(
    src: &Source,
    raw: &RawOverrides,
    env_ids: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Overrides {
    let mut c = Check { src, diags };
    let scope = |c: &mut Check, envs: &[Spanned<String>]| {
        for e in envs {
            if e.get_ref() != "*" && !env_ids.contains(e.get_ref()) {
                c.error(e, format!("unknown environment `{}`", e.get_ref()));
            }
        }
        EnvScope(envs.iter().map(|e| e.get_ref().clone()).collect())
    };
    let exceptions = raw
        .exceptions
        .iter()
        .filter_map(|x| {
            let environments = scope(&mut c, &x.environments);
            Some(Exception {
                advisory: x.advisory.clone(),
                environments,
                until: c.date(&x.until)?,
                reason: x.reason.clone(),
                owner: x.owner.clone(),
                justification: x.justification,
            })
        })
        .collect();
    let deferrals = raw
        .deferrals
        .iter()
        .filter_map(|x| {
            let environments = scope(&mut c, &x.environments);
            Some(Deferral {
                advisory: x.advisory.clone(),
                environments,
                not_before: c.date(&x.not_before)?,
                reason: x.reason.clone(),
            })
        })
        .collect();
    let emergencies = raw
        .emergencies
        .iter()
        .map(|x| ForcedEmergency {
            advisory: x.advisory.clone(),
            environments: scope(&mut c, &x.environments),
            reason: x.reason.clone(),
            override_hard_blackout: x.override_hard_blackout,
        })
        .collect();
    Overrides {
        exceptions,
        deferrals,
        emergencies,
        pins: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(ecosystem: &str, name: &str, version: &str) -> Arc<Component> {
        Arc::new(Component {
            ecosystem: ecosystem.to_string(),
            name: name.to_string(),
            version: version.to_string(),
            patch_minutes: 15,
            restart: Restart::default(),
            downtime_minutes: 0,
            origin: String::new(),
            binaries: Vec::new(),
            restart_why: None,
        })
    }

    fn names(comps: &[Arc<Component>]) -> Vec<String> {
        let name = |c: &Arc<Component>| format!("{}/{}@{}", c.ecosystem, c.name, c.version);
        comps.iter().map(name).collect()
    }

    /// An environment's own components replace its stack's of the same ecosystem and name (both
    /// versions of one the stack declares twice), the last own entry of a name winning; found by
    /// the stack's places or by a pass over the stack, the result is the same.
    #[test]
    fn own_components_replace_the_stacks_alike_with_or_without_its_places() {
        let stack = vec![
            component("PyPI", "requests", "2.0.0"),
            component("npm", "axios", "1.6.8"),
            component("PyPI", "jinja2", "2.10"),
            component("npm", "axios", "1.7.7"),
            component("crates.io", "requests", "0.1.0"),
            component("PyPI", "urllib3", "1.26.0"),
        ];
        let own = vec![
            component("npm", "axios", "1.8.0"),
            component("PyPI", "flask", "3.0.0"),
            component("PyPI", "requests", "2.31.0"),
            component("npm", "axios", "1.8.1"),
        ];
        let own = last_of_each(own);
        let mut by_pass = stack.clone();
        merge_own(&mut by_pass, own.clone());
        let removed = replaced(&places(&stack), &own);
        let by_places: Vec<Arc<Component>> = SharedList::new(Arc::from(&stack[..]), removed, own)
            .iter()
            .cloned()
            .collect();
        let want = [
            "PyPI/jinja2@2.10",
            "crates.io/requests@0.1.0",
            "PyPI/urllib3@1.26.0",
            "PyPI/flask@3.0.0",
            "PyPI/requests@2.31.0",
            "npm/axios@1.8.1",
        ];
        assert_eq!(names(&by_pass), want);
        assert_eq!(names(&by_places), want);
    }
}
