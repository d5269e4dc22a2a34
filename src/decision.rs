//! The SSVC decision: what risk ranking gives a finding, and what the inventory's policy names
//! (which decisions are emergencies, the SLA per decision). It sits below both.

use serde::{Deserialize, Serialize};

/// SSVC decision, ordered from least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Decision {
    #[serde(rename = "track")]
    Track,
    #[serde(rename = "track*")]
    TrackStar,
    #[serde(rename = "attend")]
    Attend,
    #[serde(rename = "act")]
    Act,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Track => "track",
            Decision::TrackStar => "track*",
            Decision::Attend => "attend",
            Decision::Act => "act",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        [
            Decision::Track,
            Decision::TrackStar,
            Decision::Attend,
            Decision::Act,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}
