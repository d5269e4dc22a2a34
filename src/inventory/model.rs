//! The validated inventory: what the stages accept. Every reference in it resolves, every zone,
//! duration and rule has been parsed, and every environment's component list is complete.

use std::path::PathBuf;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::advisory::Advisory;
use crate::duration::Duration;
use crate::feeds::FeedSpec;
use crate::schedule::rrule::RRule;

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

/// Risk policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub epss_threshold: f64,
    pub assume_total_impact: bool,
    pub assume_automatable: bool,
    pub emergency_on_missed_deadline: bool,
    pub stale_after: StaleAfter,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            epss_threshold: 0.95,
            assume_total_impact: true,
            assume_automatable: false,
            emergency_on_missed_deadline: true,
            stale_after: StaleAfter::default(),
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
word_enum!(
    /// What an upgrade restarts.
    Restart default Service { None => "none", Service => "service", Reboot => "reboot" }
);

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
    pub components: Vec<Component>,
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
