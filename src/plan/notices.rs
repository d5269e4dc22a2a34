//! The notices of a plan as `plan.json` records them: what kind each is and where its files are.
//! Notices are rendered above the plan, by the notice module, which reads its windows; the plan
//! only keeps their records.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a notice tells the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Planned maintenance, announced at least the customer's notice ahead.
    Scheduled,
    /// A planned window is near.
    Reminder,
    /// An emergency security intervention, without advance notice.
    Emergency,
    /// An announced window moved.
    Rescheduled,
    /// An announced window will not take place.
    Cancelled,
    /// The work of a window is over.
    Completed,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Scheduled,
        Kind::Reminder,
        Kind::Emergency,
        Kind::Rescheduled,
        Kind::Cancelled,
        Kind::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Scheduled => "scheduled",
            Kind::Reminder => "reminder",
            Kind::Emergency => "emergency",
            Kind::Rescheduled => "rescheduled",
            Kind::Cancelled => "cancelled",
            Kind::Completed => "completed",
        }
    }

    /// Whether this kind fits a window: `scheduled` and reminders are for planned windows,
    /// `emergency` for emergency interventions, the others for either.
    pub fn fits(self, emergency: bool) -> bool {
        match self {
            Kind::Scheduled | Kind::Reminder => !emergency,
            Kind::Emergency => emergency,
            Kind::Rescheduled | Kind::Cancelled | Kind::Completed => true,
        }
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown notice kind `{s}` (one of {})", names.join(", "))
            })
    }
}

/// A notice as recorded in `plan.json`.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeRecord {
    pub id: String,
    pub customer: String,
    pub window: String,
    pub kind: Kind,
    pub uid: String,
    pub sequence: u32,
    /// When to send it (a reminder's time; else when it was made).
    pub send_at: DateTime<Utc>,
    /// Paths relative to the output directory.
    pub files: Vec<String>,
}
