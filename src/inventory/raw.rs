//! The inventory's files exactly as written: serde types with `deny_unknown_fields` (unknown keys
//! are usually typos) and spans on every value that is checked later, so that `validate()` can
//! point at it. Each field's `///` is its documentation; `inventory/` is the annotated example.

use serde::Deserialize;
use toml::Spanned;

use super::FeedKind;
use super::model::{Criticality, Disclosure, Exposure, Restart, Tier};

/// `patchplan.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Who sends the notices.
    pub organisation: RawOrganisation,
    /// Values customers and components inherit unless they say otherwise.
    #[serde(default)]
    pub defaults: RawDefaults,
    /// Advisory feeds, in the order they are loaded.
    #[serde(default, rename = "feed")]
    pub feeds: Vec<RawFeed>,
    /// Risk policy; every key has a documented default.
    #[serde(default)]
    pub policy: RawPolicy,
    /// OpenVEX documents (JSON, spec v0.2.0), as paths or globs relative to the inventory, such as
    /// `["vex/*.json"]`. Their statements mark findings `not_affected` or `fixed`.
    #[serde(default)]
    pub vex: Vec<Spanned<String>>,
    /// How `patchplan send` delivers notices: SMTP server, sender, rate and retries. Without it
    /// notices are not emailed (webhooks still go).
    pub delivery: Option<RawDelivery>,
}

/// `[delivery]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    /// The SMTP server: `smtp://HOST:PORT` (plain; only to a loopback host without a warning),
    /// `smtp://HOST:PORT?tls=starttls` (STARTTLS required) or `smtps://HOST:PORT` (implicit
    /// TLS). Default ports: 25, 587 with STARTTLS, 465 for smtps. No credentials in the URL.
    pub smtp: Option<Spanned<String>>,
    /// The environment variable that holds the SMTP AUTH user name (never the name itself).
    pub username_env: Option<Spanned<String>>,
    /// The environment variable that holds the SMTP AUTH password.
    pub password_env: Option<Spanned<String>>,
    /// The From of notice mails, `Name <address>` or an address (default: the organisation's
    /// name and email).
    pub from: Option<Spanned<String>>,
    /// At most this many mails per minute (default 60).
    pub rate: Option<Spanned<u32>>,
    /// Attempts per delivery before it is given up (default 5); permanent failures are never
    /// retried.
    pub max_attempts: Option<Spanned<u32>>,
    /// Wait before the first retry of a failed delivery, doubled for each further one (default
    /// `"5m"`). Retries happen on a later `send`, not within one.
    pub backoff: Option<Spanned<String>>,
    /// Connect and reply timeout of one SMTP or webhook delivery (default `"30s"`).
    pub timeout: Option<Spanned<String>>,
    /// The organisation's own webhook, `{ url = "...", secret_env = "NAME" }`: every customer's
    /// notices are POSTed to it too (a status page, a ticket system).
    pub webhook: Option<RawWebhook>,
}

/// A customer's `webhook = { url = "...", secret_env = "NAME" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    /// Where each notice's JSON is POSTed: an `https://` URL (`http://` only to a loopback host
    /// without a warning).
    pub url: Spanned<String>,
    /// The environment variable that holds the shared secret of the HMAC-SHA256 signature.
    pub secret_env: Spanned<String>,
}

/// `[organisation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganisation {
    /// Shown in every notice.
    pub name: Spanned<String>,
    /// The From of notices and the ORGANIZER of invitations.
    pub email: Spanned<String>,
    /// Right-hand side of stable notice UIDs.
    pub domain: String,
}

/// `[defaults]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    /// IANA time zone of customers that name none (default `UTC`).
    pub timezone: Option<Spanned<String>>,
    /// Notice language of customers that name none: `en` or `es` (default `en`).
    pub locale: Option<Spanned<String>>,
    /// Advance notice for planned work (default `72h`).
    pub notice: Option<Spanned<String>>,
    /// Earliest start of an emergency intervention after planning (default `2h`).
    pub emergency_lead: Option<Spanned<String>>,
    /// Minutes per component upgrade unless the component says otherwise (default 15).
    pub patch_minutes: Option<u32>,
    /// How far ahead windows are expanded (default `45d`).
    pub horizon: Option<Spanned<String>>,
}

/// One `[[feed]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    /// Unique feed id, recorded in plans.
    pub id: Spanned<String>,
    /// `osv`, `kev`, `epss` or `native`.
    pub kind: FeedKind,
    /// A file, directory or zip (relative to the inventory), or an http(s) URL.
    pub source: Spanned<String>,
}

/// `[policy]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// EPSS percentile at or above which exploitation is `public poc` (default 0.95).
    pub epss_threshold: Option<Spanned<f64>>,
    /// Technical impact assumed when a record has no CVSS vector: `total` (default) or `partial`.
    pub assume_technical_impact: Option<Spanned<String>>,
    /// Whether a record without a CVSS vector is assumed automatable (default false).
    pub assume_automatable: Option<bool>,
    /// Decisions whose fixes are emergency interventions (default `["act"]`; `[]`: a decision
    /// alone never makes one).
    pub emergency: Option<Vec<Spanned<String>>>,
    /// Whether a deadline no planned window can meet makes the fix an emergency: `true`
    /// (default), `false` (the fix goes to the earliest usable window after the deadline and is
    /// reported as a miss), or a duration such as `"3d"`: only a deadline at most that long after
    /// planning time does.
    pub emergency_on_missed_deadline: Option<Spanned<toml::Value>>,
    /// Contractual remediation times per customer tier and decision, counted from detection:
    /// `[policy.sla.critical] attend = "7d"`. A deadline is the earliest of BOD 26-04, the KEV
    /// due date and the SLA (default: no SLA).
    #[serde(default)]
    pub sla: RawSla,
    /// How old a fetched feed may be before plans warn that it is stale.
    #[serde(default)]
    pub stale_after: RawStaleAfter,
    /// How long after a window's end its outcome may stay unrecorded (default `"24h"`): until
    /// then its upgrades wait for `patchplan complete`; after it they are treated as not done
    /// and planned again, with their original deadlines.
    pub outcome_grace: Option<Spanned<String>>,
}

/// `[policy.sla]`: one table per customer tier.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    /// SLA of tier `standard` customers.
    pub standard: Option<RawSlaTier>,
    /// SLA of tier `premium` customers.
    pub premium: Option<RawSlaTier>,
    /// SLA of tier `critical` customers.
    pub critical: Option<RawSlaTier>,
}

/// `[policy.sla.TIER]`: time from detection to the deadline, per SSVC decision.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlaTier {
    /// Time allowed for an `act` finding, such as `"2d"`.
    pub act: Option<Spanned<String>>,
    /// Time allowed for an `attend` finding.
    pub attend: Option<Spanned<String>>,
    /// Time allowed for a `track*` finding (the key is quoted: `"track*" = "30d"`).
    #[serde(rename = "track*")]
    pub track_star: Option<Spanned<String>>,
    /// Time allowed for a `track` finding.
    pub track: Option<Spanned<String>>,
}

/// `[policy.stale_after]`: the age, per feed kind, past which a fetched feed is stale.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaleAfter {
    /// OSV exports (default `2d`).
    pub osv: Option<Spanned<String>>,
    /// The KEV catalogue (default `2d`).
    pub kev: Option<Spanned<String>>,
    /// The EPSS daily scores (default `3d`).
    pub epss: Option<Spanned<String>>,
}

/// `customers/ID.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomer {
    /// Unique customer id.
    pub id: Spanned<String>,
    /// The customer's name as notices show it.
    pub name: String,
    /// IANA time zone: windows are evaluated and notices written in it.
    pub timezone: Option<Spanned<String>>,
    /// Notice language: `en` or `es`.
    pub locale: Option<Spanned<String>>,
    /// `standard`, `premium` or `critical`; `critical` raises mission impact one step.
    #[serde(default)]
    pub tier: Tier,
    /// Advance notice for planned work, overriding `defaults.notice`.
    pub notice: Option<Spanned<String>>,
    /// `summary` (no component names, versions or advisory ids) or `detailed`.
    #[serde(default)]
    pub disclosure: Disclosure,
    /// Who receives notices (by email, through `[delivery]` in patchplan.toml).
    #[serde(default)]
    pub contacts: Vec<RawContact>,
    /// Where each notice's JSON is also POSTed, signed: `{ url = "...", secret_env = "NAME" }`.
    pub webhook: Option<RawWebhook>,
    /// Reminder notices before a planned window, such as `["24h", "1h"]`.
    #[serde(default)]
    pub reminders: Vec<Spanned<String>>,
    /// Recurring maintenance windows.
    #[serde(default)]
    pub windows: Vec<RawWindow>,
    /// Change freezes, in local dates.
    #[serde(default)]
    pub blackouts: Vec<RawBlackout>,
}

/// One contact.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContact {
    /// Shown in the To of notice mails and as the invitation's attendee.
    pub name: Spanned<String>,
    /// Where notice mails go.
    pub email: Spanned<String>,
}

/// One `[[windows]]` of a customer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    /// Window id, unique within the customer; environments name it in `windows`.
    pub id: Spanned<String>,
    /// RFC 5545 RRULE, evaluated in the customer's zone.
    pub rrule: Spanned<String>,
    /// First date of the rule (`YYYY-MM-DD`): anchors INTERVAL and COUNT (default 2026-01-01).
    pub since: Option<Spanned<String>>,
    /// Days added to each date the rule gives (`4d`: the Saturday after Patch Tuesday).
    pub offset: Option<Spanned<String>>,
    /// Local wall-clock start, `HH:MM`.
    pub start: Spanned<String>,
    /// Elapsed length of the window.
    pub duration: Spanned<String>,
    /// No task may end inside the last `cutoff` of the window (default `0m`).
    pub cutoff: Option<Spanned<String>>,
    /// At most this many upgrades in one occurrence, all environments together (default: no
    /// limit beyond time).
    pub max_changes: Option<Spanned<u32>>,
}

/// One `[[blackouts]]` of a customer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBlackout {
    /// First local date, inclusive.
    pub from: Spanned<String>,
    /// Last local date, inclusive.
    pub to: Spanned<String>,
    pub reason: String,
    /// Hard: even emergencies need an explicit override.
    #[serde(default)]
    pub hard: bool,
}

/// `environments/ID.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnvironment {
    /// Unique environment id.
    pub id: Spanned<String>,
    /// The customer it belongs to.
    pub customer: Spanned<String>,
    /// Shown in notices as the affected service.
    pub name: String,
    /// `internet`, `internal` or `isolated`.
    pub exposure: Exposure,
    /// `low`, `medium` or `high`: mission and well-being impact.
    pub criticality: Criticality,
    /// Stacks whose components this environment runs.
    #[serde(default)]
    pub stacks: Vec<Spanned<String>>,
    /// Rollout order: patched only after this environment ...
    pub after: Option<Spanned<String>>,
    /// ... and this long after its window ended.
    pub soak: Option<Spanned<String>>,
    /// The customer's windows this environment may use (default: all).
    #[serde(default)]
    pub windows: Vec<Spanned<String>>,
    /// Lockfiles whose packages are components of this environment, relative to the inventory:
    /// `Cargo.lock`, `package-lock.json`, `requirements*.txt`, `poetry.lock`, `go.mod`,
    /// `go.sum`, or an OS package list: a dpkg `status` file, an apk `installed` database or an
    /// `rpm -qa` listing (`*.rpm-qa`), each also as `NAME.<file>` (`portal.Cargo.lock`,
    /// `gateway.dpkg-status`).
    #[serde(default)]
    pub lockfiles: Vec<Spanned<String>>,
    /// The distribution release the environment's host runs, as `ID:VERSION`: `ubuntu:22.04`,
    /// `debian:12`, `alpine:3.20`, `almalinux:9` or `rocky:9`. The OS package lists in
    /// `lockfiles` are matched only against that release's advisories (`Ubuntu:22.04:LTS`,
    /// `Debian:12`, `Alpine:v3.20`, `AlmaLinux:9`, `Rocky Linux:9`). Without it, an `os-release`
    /// file beside a list names the release; a list with neither is an error.
    pub distro: Option<Spanned<String>>,
    /// The host has Ubuntu Pro (default false): its packages also match the
    /// `Ubuntu:Pro:RELEASE` records, whose fixes only Pro hosts receive.
    pub ubuntu_pro: Option<Spanned<bool>>,
    /// SBOMs whose components are components of this environment, relative to the inventory:
    /// CycloneDX JSON (1.4 to 1.6) or SPDX 2.x JSON, each component identified by its purl.
    #[serde(default)]
    pub sboms: Vec<Spanned<String>>,
    /// Components of its own; they win over a stack's on the same (ecosystem, name).
    #[serde(default)]
    pub components: Vec<RawComponent>,
}

/// `stacks/ID.toml`: a reusable component set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStack {
    pub id: Spanned<String>,
    #[serde(default)]
    pub components: Vec<RawComponent>,
}

/// One `[[components]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawComponent {
    /// Package name in its ecosystem.
    pub name: Option<Spanned<String>>,
    /// OSV ecosystem (`crates.io`, `npm`, `Go`, ...) or an in-house name.
    pub ecosystem: Option<Spanned<String>>,
    /// Installed version.
    pub version: Option<Spanned<String>>,
    /// A package URL instead of name and ecosystem (and version).
    pub purl: Option<Spanned<String>>,
    /// Minutes the upgrade takes, overriding `defaults.patch_minutes`.
    pub patch_minutes: Option<Spanned<u32>>,
    /// `none`, `service` or `reboot`.
    #[serde(default)]
    pub restart: Restart,
    /// Downtime the customer sees, in minutes; goes into the notice.
    #[serde(default)]
    pub downtime_minutes: u32,
}

/// `overrides.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverrides {
    /// Accepted risk: the finding leaves the plan until `until`.
    #[serde(default)]
    pub exceptions: Vec<RawException>,
    /// Not before a date.
    #[serde(default)]
    pub deferrals: Vec<RawDeferral>,
    /// Forced emergency interventions.
    #[serde(default)]
    pub emergencies: Vec<RawEmergency>,
    /// Upgrades placed in a named window occurrence.
    #[serde(default)]
    pub pins: Vec<RawPin>,
}

/// One `[[pins]]`: an upgrade into one occurrence of one window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPin {
    /// Environment id.
    pub environment: Spanned<String>,
    /// The component whose upgrade is pinned, by name.
    pub component: Spanned<String>,
    /// The customer's window id ...
    pub window: Spanned<String>,
    /// ... and the local date its occurrence starts on (`YYYY-MM-DD`).
    pub date: Spanned<String>,
    pub reason: String,
}

/// One `[[exceptions]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawException {
    /// Advisory id or alias.
    pub advisory: String,
    /// Environment ids, or `["*"]`.
    pub environments: Vec<Spanned<String>>,
    /// Last day of the exception; after it the finding returns and is reported.
    pub until: Spanned<String>,
    pub reason: String,
    pub owner: String,
    /// Why the product is not affected, as OpenVEX names it (`vulnerable_code_not_in_execute_path`,
    /// ...): optional; carried into `vex export` and the CycloneDX analysis.
    pub justification: Option<super::vex::Justification>,
}

/// One `[[deferrals]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeferral {
    /// Advisory id or alias.
    pub advisory: String,
    /// Environment ids, or `["*"]`.
    pub environments: Vec<Spanned<String>>,
    /// The fix is not scheduled before this local date.
    pub not_before: Spanned<String>,
    pub reason: String,
}

/// One `[[emergencies]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmergency {
    /// Advisory id or alias.
    pub advisory: String,
    /// Environment ids, or `["*"]`.
    pub environments: Vec<Spanned<String>>,
    pub reason: String,
    /// Also override hard blackouts.
    #[serde(default)]
    pub override_hard_blackout: bool,
}
