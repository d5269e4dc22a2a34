//! Schedule: tasks -> maintenance-window occurrences or emergency interventions.
//!
//! A task is one (environment, component) upgrade fixing all of that component's findings. Most
//! urgent first, each goes to the earliest usable occurrence that meets its deadline, preferring
//! an occurrence the environment already uses. Usable means: at least the customer's notice after
//! now, no blackout, room before end minus cutoff (tasks of one environment run one after the
//! other), the rollout predecessor's same upgrade finished plus soak, and any deferral passed.
//! `act` decisions, forced emergencies and (by policy) unmeetable deadlines become emergency
//! interventions: one per environment, at now + emergency lead, ignoring windows, notice and
//! soft blackouts; a hard blackout blocks them unless an override forces it, and the upgrade then
//! goes to the first usable planned window after it. A pin places an upgrade in the occurrence it
//! names when that occurrence is usable, and is refused with the reason otherwise. A rollout
//! successor waits for its predecessor's same upgrade: when that is not scheduled, neither is
//! the successor's. An occurrence already announced (the ledger says so) keeps the
//! environments announced in it even inside the notice period: their notice was given.

mod assign;
pub mod json;
pub mod occurrence;
pub use crate::rrule;

pub use assign::{schedule, schedule_announced, schedule_in_one_pass};

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::Restart;
use crate::risk::Decision;

/// Planned window ids already announced to customers, each with the environments announced in
/// it (from the ledger): for those, the notice period has been served.
pub type Announced = HashMap<String, BTreeSet<String>>;

/// The findings a task fixes, by id (`ENVIRONMENT:PACKAGE:ADVISORY`). A fleet's tasks fix
/// millions of findings: a task keeps its environment and package once and each advisory id
/// shared (with its finding, or read back from JSON with every other task's read on the same
/// thread), and makes an id only when one is asked for. Ids read back that do not share one
/// `ENVIRONMENT:PACKAGE:` are kept as they were read. Either way it reads and writes as a list
/// of ids.
#[derive(Debug, Clone)]
pub struct FindingIds(Ids);

#[derive(Debug, Clone)]
enum Ids {
    /// `ENVIRONMENT:PACKAGE:` and the advisories.
    Shared {
        prefix: Arc<str>,
        advisories: Arc<[Arc<str>]>,
    },
    Listed(Arc<[String]>),
}

impl FindingIds {
    /// The findings of `advisories` on `package` in `environment`.
    pub fn new(environment: &str, package: &str, advisories: Vec<Arc<str>>) -> FindingIds {
        FindingIds(Ids::Shared {
            prefix: format!("{environment}:{package}:").into(),
            advisories: advisories.into(),
        })
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Ids::Shared { advisories, .. } => advisories.len(),
            Ids::Listed(ids) => ids.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each id with its advisory: kept for a task planned here; for ids read back, as
    /// [`split_id`] reads it from the id (an advisory id may hold a `:` itself, as
    /// ALSA-2024:4312 does).
    pub fn entries(&self) -> impl Iterator<Item = (std::borrow::Cow<'_, str>, &str)> {
        (0..self.len()).map(|i| match &self.0 {
            Ids::Shared { prefix, advisories } => (
                std::borrow::Cow::Owned(format!("{prefix}{}", advisories[i])),
                &*advisories[i],
            ),
            Ids::Listed(ids) => (
                std::borrow::Cow::Borrowed(ids[i].as_str()),
                split_id(&ids[i]).2,
            ),
        })
    }

    /// Whether `id` is one of them, without making the ids.
    pub fn contains(&self, id: &str) -> bool {
        match &self.0 {
            Ids::Shared { prefix, advisories } => id
                .strip_prefix(&**prefix)
                .is_some_and(|a| advisories.iter().any(|x| **x == *a)),
            Ids::Listed(ids) => ids.iter().any(|x| x == id),
        }
    }
}

impl Default for FindingIds {
    fn default() -> Self {
        FindingIds(Ids::Listed(Arc::from(Vec::new())))
    }
}

impl From<Vec<String>> for FindingIds {
    fn from(ids: Vec<String>) -> Self {
        FindingIds(Ids::Listed(ids.into()))
    }
}

impl Serialize for FindingIds {
    /// A JSON array of the ids, made as one piece of text by [`json::findings`] and handed to
    /// the serializer whole (serde_json writes it as it is): each id formatted and checked for
    /// escaping by the serializer took several times as long.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut text = Vec::with_capacity(2 + self.len() * 40);
        json::findings(&mut text, self);
        let text = String::from_utf8(text).map_err(serde::ser::Error::custom)?;
        serde_json::value::RawValue::from_string(text)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for FindingIds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<ReadId>::deserialize(d).map(FindingIds::read)
    }
}

impl FindingIds {
    /// Ids read back, kept as one `ENVIRONMENT:PACKAGE:` and shared advisory ids where they
    /// share the prefix: a ledger holds a fleet's windows, whose tasks name millions of
    /// findings of a few thousand advisories.
    fn read(ids: Vec<ReadId>) -> FindingIds {
        let prefix_of = |id: &str| id.len() - split_id(id).2.len();
        let Some(first) = ids.first().map(|id| &id.0[..prefix_of(&id.0)]) else {
            return FindingIds::default();
        };
        if ids.iter().any(|id| id.0[..prefix_of(&id.0)] != *first) {
            let listed: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
            return FindingIds::from(listed);
        }
        FindingIds(Ids::Shared {
            prefix: Arc::from(first),
            advisories: (ids.iter())
                .map(|id| advisory(&id.0[first.len()..]))
                .collect(),
        })
    }
}

/// A finding id as read: borrowed from the text being read where it needs no unescaping.
struct ReadId<'a>(std::borrow::Cow<'a, str>);

impl<'de> Deserialize<'de> for ReadId<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = ReadId<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a finding id")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<ReadId<'de>, E> {
                Ok(ReadId(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<ReadId<'de>, E> {
                Ok(ReadId(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<ReadId<'de>, E> {
                Ok(ReadId(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(Text)
    }
}

thread_local! {
    /// The advisory ids read back on this thread, each kept once.
    static ADVISORIES: std::cell::RefCell<std::collections::HashSet<Arc<str>>> =
        Default::default();
}

/// Advisory id `id`, shared with every other read on this thread.
fn advisory(id: &str) -> Arc<str> {
    ADVISORIES.with(|read| {
        let mut read = read.borrow_mut();
        if let Some(shared) = read.get(id) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(id);
        read.insert(shared.clone());
        shared
    })
}

/// A finding id, `ENVIRONMENT:PACKAGE:ADVISORY`, as its three parts. An environment id never
/// contains `:` (the inventory refuses one); the advisory is what follows the last `:`, unless
/// that is only digits: an erratum such as `ALSA-2024:4312` has a `:` of its own, and no
/// advisory id is a bare number. The package is what lies between, and may contain `:` too
/// (Maven's `group:artifact`).
pub fn split_id(id: &str) -> (&str, &str, &str) {
    let (env, rest) = id.split_once(':').unwrap_or((id, ""));
    let (mut package, mut advisory) = rest.rsplit_once(':').unwrap_or(("", rest));
    let bare_number = !advisory.is_empty() && advisory.bytes().all(|b| b.is_ascii_digit());
    if bare_number && let Some((p, _)) = package.rsplit_once(':') {
        (package, advisory) = (p, &rest[p.len() + 1..]);
    }
    (env, package, advisory)
}

/// An upgrade to place.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    pub environment: String,
    pub customer: String,
    pub ecosystem: String,
    pub package: String,
    pub from: String,
    pub to: String,
    /// The findings this task fixes.
    pub findings: FindingIds,
    pub decision: Decision,
    pub deadline: Option<DateTime<Utc>>,
    pub score: f64,
    pub minutes: i64,
    pub downtime_minutes: u32,
    /// What the upgrade restarts.
    pub restart: Restart,
    /// For an OS package, the command that upgrades its binary packages.
    pub install: Option<String>,
    /// Forced by an override, with its reason and whether it may break a hard blackout.
    pub forced: Option<(String, bool)>,
    /// A deferral: not before this local date, with its reason.
    pub not_before: Option<(NaiveDate, String)>,
    /// A pin: into the occurrence of this window starting on this local date, with its reason.
    pub pin: Option<(String, NaiveDate, String)>,
}

/// Planned maintenance or emergency intervention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    Planned,
    Emergency,
}

impl WindowKind {
    /// As plan.json, notices and the report name it.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Planned => "planned",
            WindowKind::Emergency => "emergency",
        }
    }
}

/// A task as placed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    pub environment: String,
    pub ecosystem: String,
    pub package: String,
    pub from: String,
    pub to: String,
    pub findings: FindingIds,
    pub decision: Decision,
    pub deadline: Option<DateTime<Utc>>,
    pub minutes: i64,
    pub downtime_minutes: u32,
    /// What the upgrade restarts: `none`, `service` or `reboot`.
    #[serde(default)]
    pub restart: Restart,
    /// For an OS package, the command that upgrades its binary packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<String>,
    /// Planned start of this task inside its window.
    pub start: DateTime<Utc>,
    /// The deadline is not met.
    pub deadline_missed: bool,
}

/// A window in the plan: an occurrence with tasks, or an emergency intervention.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Window {
    pub id: String,
    pub customer: String,
    pub kind: WindowKind,
    /// The customer's window id, for planned windows.
    pub window: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone: String,
    pub environments: Vec<String>,
    /// Shared: a run compares, records and renders a fleet's windows, copying each.
    pub tasks: std::sync::Arc<[Task]>,
    /// Why an emergency intervention (empty for planned windows).
    pub reasons: Vec<String>,
    /// Reminder notices due before a planned window (none for emergencies).
    pub reminders: Vec<Reminder>,
}

/// A reminder before a planned window, from the customer's `reminders`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reminder {
    /// How long before the window (`1d`, `1h`).
    pub before: String,
    pub at: DateTime<Utc>,
    /// Why it will not be sent (its time had passed when the plan was made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// Where one task request went.
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    /// The window id, or `None` when unscheduled.
    pub window: Option<String>,
    pub emergency: bool,
    pub deadline_missed: bool,
    /// Why it went there, or why nowhere.
    pub reasons: Vec<String>,
    /// Why nowhere, when it went nowhere.
    pub unscheduled: Option<Unscheduled>,
}

/// Why an open finding is in no window; plan.json's `unscheduled_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unscheduled {
    /// No fixed version is known: the finding stays open as remaining risk.
    NoFix,
    /// Its fix is on another branch than the component's upgrade, which fixes more urgent
    /// findings; it remains after that upgrade.
    FixOnOtherBranch,
    /// The upgrade is in a window that has started (or ended) and has no recorded outcome.
    AwaitingOutcome,
    /// The rollout predecessor's same upgrade is not scheduled, so this one waits.
    RolloutPredecessor,
    /// Every window in the horizon, or the emergency intervention, is in a blackout.
    BlockedByBlackout,
    /// No window in the horizon can take it (notice, capacity, deferral, no occurrence).
    NoUsableWindow,
}

impl Unscheduled {
    pub const ALL: [Unscheduled; 6] = [
        Unscheduled::NoFix,
        Unscheduled::FixOnOtherBranch,
        Unscheduled::AwaitingOutcome,
        Unscheduled::RolloutPredecessor,
        Unscheduled::BlockedByBlackout,
        Unscheduled::NoUsableWindow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Unscheduled::NoFix => "no_fix",
            Unscheduled::FixOnOtherBranch => "fix_on_other_branch",
            Unscheduled::AwaitingOutcome => "awaiting_outcome",
            Unscheduled::RolloutPredecessor => "rollout_predecessor",
            Unscheduled::BlockedByBlackout => "blocked_by_blackout",
            Unscheduled::NoUsableWindow => "no_usable_window",
        }
    }
}

/// The schedule.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// Sorted by start, then id.
    pub windows: Vec<Window>,
    /// One per task request, in request order.
    pub placements: Vec<Placement>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_ids_read_and_write_as_ids_whichever_way_they_are_kept() {
        let shared = FindingIds::new(
            "prod",
            "org.apache:commons",
            vec![Arc::from("ALSA-2024:4312"), Arc::from("CVE-2026-1")],
        );
        let ids = [
            "prod:org.apache:commons:ALSA-2024:4312",
            "prod:org.apache:commons:CVE-2026-1",
        ];
        assert_eq!(shared.entries().map(|(id, _)| id).collect::<Vec<_>>(), ids);
        assert_eq!(
            serde_json::to_value(&shared).unwrap(),
            serde_json::json!(ids)
        );
        let advisories: Vec<_> = shared.entries().map(|(_, a)| a).collect();
        assert_eq!(advisories, ["ALSA-2024:4312", "CVE-2026-1"]);
        assert!(shared.contains(ids[0]) && shared.contains(ids[1]));
        assert!(!shared.contains("prod:org.apache:commons:CVE-2026-2"));
        assert!(!shared.contains("prod:org.apache:commons:"));
        assert!(!shared.contains("staging:org.apache:commons:CVE-2026-1"));
        // Read back: the same ids, and the same advisories, read from the ids.
        let read: FindingIds = serde_json::from_value(serde_json::json!(ids)).unwrap();
        assert_eq!(read.entries().map(|(id, _)| id).collect::<Vec<_>>(), ids);
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            serde_json::to_string(&shared).unwrap()
        );
        assert!(read.contains(ids[1]) && !read.contains("x"));
        let advisories: Vec<_> = read.entries().map(|(_, a)| a).collect();
        assert_eq!(advisories, ["ALSA-2024:4312", "CVE-2026-1"]);
        // An id that needs escaping is escaped once, not made first.
        let quoted = FindingIds::new("p", "a\"b", vec![Arc::from("X\\1")]);
        assert_eq!(
            serde_json::to_string(&quoted).unwrap(),
            r#"["p:a\"b:X\\1"]"#
        );
        assert!(FindingIds::default().is_empty());
    }

    /// Ids read back keep one `ENVIRONMENT:PACKAGE:` where they share it (an advisory with a
    /// `:` of its own, and escapes, included), each advisory shared with the other tasks';
    /// ids of several components, or none, read and write back as they were.
    #[test]
    fn finding_ids_read_back_share_their_parts() {
        let text =
            r#"["prod:org.apache:commons:ALSA-2024:4312","prod:org.apache:commons:CVE-2026-1"]"#;
        let a: FindingIds = serde_json::from_str(text).unwrap();
        assert!(
            matches!(&a.0, Ids::Shared { prefix, .. } if &**prefix == "prod:org.apache:commons:")
        );
        assert_eq!(serde_json::to_string(&a).unwrap(), text);
        let advisories: Vec<_> = a.entries().map(|(_, a)| a.to_string()).collect();
        assert_eq!(advisories, ["ALSA-2024:4312", "CVE-2026-1"]);
        assert!(a.contains("prod:org.apache:commons:CVE-2026-1"));
        assert!(!a.contains("prod:org.apache:commons:CVE-2026-2"));
        let b: FindingIds = serde_json::from_str(r#"["staging:x:CVE-2026-1"]"#).unwrap();
        let (Ids::Shared { advisories: x, .. }, Ids::Shared { advisories: y, .. }) = (&a.0, &b.0)
        else {
            panic!("read back as listed");
        };
        assert!(Arc::ptr_eq(&x[1], &y[0]));
        for text in [
            r#"["p:a\"b:X\\1","p:a\"b:Y"]"#,
            r#"["e1:p:A-1","e2:p:A-1"]"#,
            r#"["e1:p:A-1","e1:q:A-1"]"#,
            r#"["no-colons"]"#,
            "[]",
        ] {
            let read: FindingIds = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&read).unwrap(), text);
            let listed: Vec<String> = serde_json::from_str(text).unwrap();
            let ids: Vec<_> = read
                .entries()
                .map(|(id, a)| (id.into_owned(), a.to_string()))
                .collect();
            let expected: Vec<_> = (listed.iter())
                .map(|id| (id.clone(), split_id(id).2.to_string()))
                .collect();
            assert_eq!(ids, expected, "{text}");
            assert!(listed.iter().all(|id| read.contains(id)));
        }
        let mixed: FindingIds = serde_json::from_str(r#"["e1:p:A-1","e2:p:A-1"]"#).unwrap();
        assert!(matches!(mixed.0, Ids::Listed(_)));
    }
}
