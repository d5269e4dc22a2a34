//! The validated inventory: what the stages accept. Every reference in it resolves, every zone,
//! duration and rule has been parsed, and every environment's component list is complete.

use crate::shared_list::SharedList;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::vex::VexStatement;
use crate::advisory::Advisory;
use crate::decision::Decision;
use crate::duration::Duration;
use crate::rrule::RRule;

/// The whole operator inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub root: PathBuf,
    pub organisation: Organisation,
    pub defaults: Defaults,
    pub feeds: Vec<FeedSpec>,
    pub policy: Policy,
    /// Sorted by id.
    pub customers: Vec<Customer>,
    /// Sorted by id.
    pub environments: Vec<Environment>,
    /// The inventory's own `advisories/`.
    pub advisories: Vec<Advisory>,
    pub overrides: Overrides,
    /// The statements of the OpenVEX documents in `vex`, in path and document order.
    pub vex: Vec<VexStatement>,
    /// `[delivery]`: how `send` delivers notices.
    pub delivery: Delivery,
    /// Problems that do not stop planning (components in ecosystems that cannot be ordered yet).
    pub warnings: Vec<String>,
}

impl Inventory {
    /// The customer `id`; a binary search, since customers are sorted by id.
    pub fn customer(&self, id: &str) -> Option<&Customer> {
        let i = self
            .customers
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()?;
        Some(&self.customers[i])
    }

    /// The environment `id`; a binary search, since environments are sorted by id.
    pub fn environment(&self, id: &str) -> Option<&Environment> {
        let i = self
            .environments
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .ok()?;
        Some(&self.environments[i])
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Organisation {
    pub name: String,
    pub email: String,
    pub domain: String,
}

#[derive(Debug, Clone)]
pub struct Defaults {
    pub timezone: Tz,
    pub locale: Locale,
    pub notice: Duration,
    pub emergency_lead: Duration,
    pub patch_minutes: u32,
    pub horizon: Duration,
}

/// Risk policy: `[policy]` in patchplan.toml. Every key has a default (see the README).
#[derive(Debug, Clone)]
pub struct Policy {
    /// EPSS percentile at or above which exploitation is `public poc`.
    pub epss_threshold: f64,
    /// Technical impact assumed when no vector says (true: `total`).
    pub assume_total_impact: bool,
    /// Automatable assumed when no vector says.
    pub assume_automatable: bool,
    /// Decisions whose fixes are emergency interventions.
    pub emergency: Vec<Decision>,
    /// Whether a deadline no planned window meets makes the fix an emergency.
    pub emergency_on_missed_deadline: MissedDeadline,
    /// Contractual remediation times per customer tier and decision.
    pub sla: Vec<Sla>,
    /// How old a fetched feed may be before it is stale.
    pub stale_after: StaleAfter,
    /// How long after its end a window's outcome may stay unrecorded before its upgrades are
    /// treated as not done.
    pub outcome_grace: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            epss_threshold: 0.95,
            assume_total_impact: true,
            assume_automatable: false,
            emergency: vec![Decision::Act],
            emergency_on_missed_deadline: MissedDeadline::Always,
            sla: Vec::new(),
            stale_after: StaleAfter::default(),
            outcome_grace: Duration::from_minutes(24 * 60),
        }
    }
}

/// The age, per feed kind, past which a fetched feed is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleAfter {
    pub osv: Duration,
    pub kev: Duration,
    pub epss: Duration,
}

impl Default for StaleAfter {
    fn default() -> Self {
        let days = |d: i64| Duration::from_minutes(d * 24 * 60);
        StaleAfter {
            osv: days(2),
            kev: days(2),
            epss: days(3),
        }
    }
}

impl Policy {
    /// The contractual time to remediate a `decision` for a customer of `tier`, if any.
    pub fn sla(&self, tier: Tier, decision: Decision) -> Option<Duration> {
        self.sla
            .iter()
            .find(|s| s.tier == tier && s.decision == decision)
            .map(|s| s.within)
    }
}

/// One contractual SLA: `[policy.sla.TIER] DECISION = "7d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub tier: Tier,
    pub decision: Decision,
    /// Time from detection to the deadline.
    pub within: Duration,
}

/// `emergency_on_missed_deadline`: `true`, `false`, or a duration such as `"3d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissedDeadline {
    /// A missed deadline never forces an emergency: the fix is placed late and reported.
    Never,
    /// Any deadline no planned window meets forces an emergency.
    Always,
    /// Only deadlines at most this long after planning time (`now`) force an emergency.
    Within(Duration),
}

impl MissedDeadline {
    /// Whether missing `deadline` forces an emergency intervention when planning at `now`.
    pub fn forces(self, deadline: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        match self {
            MissedDeadline::Never => false,
            MissedDeadline::Always => true,
            MissedDeadline::Within(d) => deadline <= now + d.delta(),
        }
    }
}

impl std::fmt::Display for MissedDeadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MissedDeadline::Never => f.write_str("false"),
            MissedDeadline::Always => f.write_str("true"),
            MissedDeadline::Within(d) => write!(f, "\"{d}\""),
        }
    }
}

/// Notice languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    Es,
}

impl Locale {
    pub fn parse(s: &str) -> Option<Locale> {
        match s {
            "en" => Some(Locale::En),
            "es" => Some(Locale::Es),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
        }
    }
}

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident default $default:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant,)+
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }
    };
}

word_enum!(
    /// Contract level of a customer.
    Tier default Standard { Standard => "standard", Premium => "premium", Critical => "critical" }
);
word_enum!(
    /// How much of the work a notice reveals.
    Disclosure default Summary { Summary => "summary", Detailed => "detailed" }
);
word_enum!(
    /// How reachable an environment is.
    Exposure default Internet { Internet => "internet", Internal => "internal", Isolated => "isolated" }
);
word_enum!(
    /// Mission and well-being impact of an environment.
    Criticality default Medium { Low => "low", Medium => "medium", High => "high" }
);
pub use crate::inputs::restart::Restart;

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
}

/// A customer and its calendar.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub timezone: Tz,
    pub locale: Locale,
    pub tier: Tier,
    pub notice: Duration,
    pub disclosure: Disclosure,
    pub contacts: Vec<Contact>,
    /// Where each notice's JSON is POSTed, signed.
    pub webhook: Option<Webhook>,
    pub reminders: Vec<Duration>,
    pub windows: Vec<WindowSpec>,
    pub blackouts: Vec<Blackout>,
}

/// A recurring maintenance window.
#[derive(Debug, Clone)]
pub struct WindowSpec {
    pub id: String,
    pub rule: RRule,
    pub since: NaiveDate,
    pub offset: Duration,
    pub start: NaiveTime,
    pub duration: Duration,
    pub cutoff: Duration,
    /// At most this many upgrades per occurrence, all environments together.
    pub max_changes: Option<u32>,
}

/// A change freeze over local dates, inclusive.
#[derive(Debug, Clone, Serialize)]
pub struct Blackout {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
    pub hard: bool,
}

/// An environment with its complete component list.
#[derive(Debug, Clone)]
pub struct Environment {
    pub id: String,
    pub customer: String,
    pub name: String,
    pub exposure: Exposure,
    pub criticality: Criticality,
    pub after: Option<String>,
    pub soak: Duration,
    /// Window ids it may use; empty means all of the customer's.
    pub windows: Vec<String>,
    /// Shared with the stacks they come from: a fleet's environments repeat a few stacks.
    pub components: SharedList<Component>,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Canonical ecosystem.
    pub ecosystem: String,
    /// Canonical name.
    pub name: String,
    pub version: String,
    pub patch_minutes: u32,
    pub restart: Restart,
    pub downtime_minutes: u32,
    /// Where it was declared: a stack, the environment file, or a lockfile.
    pub origin: String,
    /// For an OS package (read from a package list), the binary packages installed from it:
    /// what the upgrade installs. Empty for other components.
    pub binaries: Vec<String>,
    /// Why it has its `restart`, when the package said so rather than the inventory.
    pub restart_why: Option<String>,
}

/// Operator decisions from `overrides.toml`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub exceptions: Vec<Exception>,
    pub deferrals: Vec<Deferral>,
    pub emergencies: Vec<ForcedEmergency>,
    pub pins: Vec<Pin>,
}

/// Environment ids an override applies to; `*` is every environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvScope(pub Vec<String>);

impl EnvScope {
    pub fn covers(&self, env: &str) -> bool {
        self.0.iter().any(|e| e == "*" || e == env)
    }
}

#[derive(Debug, Clone)]
pub struct Exception {
    pub advisory: String,
    pub environments: EnvScope,
    pub until: NaiveDate,
    pub reason: String,
    pub owner: String,
    /// OpenVEX's justification, when the operator gave one.
    pub justification: Option<super::vex::Justification>,
}

#[derive(Debug, Clone)]
pub struct Deferral {
    pub advisory: String,
    pub environments: EnvScope,
    pub not_before: NaiveDate,
    pub reason: String,
}

/// An upgrade placed by the operator in one occurrence: `window` starting on local `date`.
#[derive(Debug, Clone)]
pub struct Pin {
    pub environment: String,
    pub component: String,
    pub window: String,
    pub date: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct ForcedEmergency {
    pub advisory: String,
    pub environments: EnvScope,
    pub reason: String,
    pub override_hard_blackout: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(policy: MissedDeadline, hours_ahead: i64, forces: bool) {
        let now: DateTime<Utc> = "2026-10-27T09:00:00Z".parse().unwrap();
        let deadline = now + chrono::TimeDelta::hours(hours_ahead);
        assert_eq!(
            policy.forces(deadline, now),
            forces,
            "{policy} {hours_ahead}h"
        );
    }

    #[test]
    fn a_missed_deadline_forces_an_emergency_as_policy_says() {
        let three_days = MissedDeadline::Within(Duration::from_minutes(3 * 1440));
        case(MissedDeadline::Always, 14 * 24, true);
        case(MissedDeadline::Never, 0, false);
        case(three_days, 72, true);
        case(three_days, 73, false);
        case(three_days, -5, true);
        assert_eq!(three_days.to_string(), "\"3d\"");
    }

    #[test]
    fn slas_are_found_by_tier_and_decision() {
        let policy = Policy {
            sla: vec![Sla {
                tier: Tier::Critical,
                decision: Decision::Attend,
                within: Duration::from_minutes(7 * 1440),
            }],
            ..Policy::default()
        };
        assert_eq!(
            policy.sla(Tier::Critical, Decision::Attend),
            Some(Duration::from_minutes(7 * 1440))
        );
        assert_eq!(policy.sla(Tier::Premium, Decision::Attend), None);
        assert_eq!(policy.sla(Tier::Critical, Decision::Act), None);
    }
}

/// `[delivery]` of patchplan.toml: how `patchplan send` delivers notices.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The SMTP server; `None`: notices are not emailed.
    pub smtp: Option<Smtp>,
    /// The From of notice mails (`Name <address>`).
    pub from: String,
    /// At most this many mails per minute.
    pub rate: u32,
    /// Attempts per delivery before it is given up.
    pub max_attempts: u32,
    /// Wait before the first retry, doubled for each further one.
    pub backoff: Duration,
    /// Connect and reply timeout of one delivery.
    pub timeout: std::time::Duration,
    /// The organisation's webhook: every customer's notices go to it too.
    pub webhook: Option<Webhook>,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            smtp: None,
            from: String::new(),
            rate: 60,
            max_attempts: 5,
            backoff: Duration::from_minutes(5),
            timeout: std::time::Duration::from_secs(30),
            webhook: None,
        }
    }
}

/// An SMTP server.
#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// The variables holding the AUTH user name and password (both or neither).
    pub username: Option<EnvVar>,
    pub password: Option<EnvVar>,
}

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://`: plain text (loopback only without a warning).
    None,
    /// `smtp://...?tls=starttls`: STARTTLS required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

/// A customer's webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    /// The variable holding the signature's shared secret.
    pub secret: EnvVar,
}

/// An environment variable named in the inventory, with where it was named, so that a missing
/// one is reported at its `file:line:col`.
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: String,
    pub at: crate::diag::Diagnostic,
}

impl EnvVar {
    /// The variable's value; a diagnostic at its place in the inventory when it is unset or
    /// empty.
    pub fn value(&self) -> Result<String, crate::diag::Diagnostic> {
        match std::env::var(&self.name) {
            Ok(v) if !v.is_empty() => Ok(v),
            _ => Err(crate::diag::Diagnostic {
                message: format!(
                    "environment variable `{}` is not set (it holds {})",
                    self.name, self.at.message
                ),
                ..self.at.clone()
            }),
        }
    }
}

impl Inventory {
    /// Every environment variable the delivery needs that is unset, at its place in the
    /// inventory (for `validate` and `send`; planning needs none of them).
    pub fn missing_secrets(&self) -> Vec<crate::diag::Diagnostic> {
        let smtp = self.delivery.smtp.iter();
        let smtp = smtp.flat_map(|s| s.username.iter().chain(s.password.iter()));
        let hooks = (self.customers.iter().filter_map(|c| c.webhook.as_ref()))
            .chain(self.delivery.webhook.iter());
        smtp.chain(hooks.map(|w| &w.secret))
            .filter_map(|v| v.value().err())
            .collect()
    }
}

/// The kind of a feed, which says how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    Osv,
    Kev,
    Epss,
    Native,
}

/// A feed as configured: where to read it.
#[derive(Debug, Clone)]
pub struct FeedSpec {
    pub id: String,
    pub kind: FeedKind,
    /// A path (already resolved against the inventory) or an http(s) URL.
    pub source: String,
}
