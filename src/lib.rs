//! patchplan plans patch rounds for service providers.
//!
//! The pipeline: the operator's [`inventory`] (customers, environments, components) is matched
//! against advisory feeds ([`advisory`], loaded by [`feeds`]) by version range ([`version`]) in
//! [`matching`]; each finding is ranked by [`risk`] into a decision, a deadline and reasons; the
//! fixes are placed into maintenance windows or emergency interventions by [`schedule`]; and the
//! customer notices are rendered by [`notice`]; the [`ledger`] remembers what was announced, so
//! that a re-plan issues only what changed. [`plan`] wires the stages; [`explain`] shows why a finding of a plan is ranked and placed as it
//! is; [`export`] writes scans in the formats other tools read (SARIF, CycloneDX, Markdown);
//! [`report`] turns a plan into pages to look at; [`cli`] presents them.

pub mod advisory;
pub mod cli;
pub mod decision;
pub mod delivery;
pub mod diag;
pub mod digest;
pub mod direct;
pub mod duration;
pub mod error;
pub mod explain;
pub mod export;
pub mod feeds;
pub mod files;
pub mod inputs;
pub mod inventory;
pub mod json_bytes;
pub mod ledger;
pub mod ledger_error;
pub mod matching;
pub mod notice;
pub mod plan;
pub mod pools;
pub mod priority;
pub mod purl;
pub mod replace;
pub mod report;
pub mod risk;
pub mod rrule;
pub mod schedule;
pub mod shared_list;
pub mod timing;
pub mod utc;
pub mod version;

pub use error::{Error, Result};
