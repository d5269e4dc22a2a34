//! Notices: one per (customer, window), rendered from Handlebars templates in the customer's
//! language and zone, in every format (`txt`, `md`, and `json`, the view model itself).
//!
//! Templates live in `templates/LOCALE/KIND.FORMAT.hbs` (built into the binary); an inventory's
//! own `templates/` directory wins file by file. Rendering is strict: a missing variable is an
//! error naming the template.

pub mod locale;
mod render;
pub mod view;

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use render::Renderer;

use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::plan::Plan;
use crate::schedule::{Window, WindowKind};

/// A notice as recorded in `plan.json`.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeRecord {
    pub id: String,
    pub customer: String,
    pub window: String,
    pub kind: &'static str,
    pub uid: String,
    pub sequence: u32,
    /// Paths relative to the output directory.
    pub files: Vec<String>,
}

/// The formats rendered from templates; `json` is written from the view model directly.
pub const TEMPLATE_FORMATS: [&str; 2] = ["txt", "md"];

/// One notice to render, as the ledger asks for it: its kind, the window it is about, its UID
/// and SEQUENCE, and what only some kinds carry.
#[derive(Debug, Clone)]
pub struct NoticeSpec<'a> {
    /// The notice id (plan.json's `id`).
    pub id: String,
    /// File stem: files are `notices/CUSTOMER/STEM.FORMAT`.
    pub stem: String,
    /// `scheduled`, `reminder`, `emergency`, `rescheduled`, `cancelled` or `completed`.
    pub kind: &'static str,
    pub window: &'a Window,
    pub uid: String,
    pub sequence: u32,
    /// `rescheduled`: the times announced before.
    pub previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// `reminder`: how long before the window (`1d`).
    pub reminder: Option<String>,
    /// `completed`: `completed` or `failed`, and the operator's note.
    pub outcome: Option<(&'static str, Option<String>)>,
}

/// A rendered notice, not yet written: its record and its files (paths relative to the output
/// directory, and contents).
#[derive(Debug, Clone)]
pub struct RenderedNotice {
    pub record: NoticeRecord,
    pub files: Vec<(String, String)>,
}

/// The template kind a notice of `kind` is rendered with: its own when there is one, else the
/// closest there is (`emergency` for emergencies, `scheduled` for the rest); the notice's own
/// kind is still the one in its record, its JSON and the ledger.
fn template_kind(renderer: &Renderer, locale: &str, kind: &'static str) -> &'static str {
    if TEMPLATE_FORMATS
        .iter()
        .all(|f| renderer.has(locale, kind, f))
    {
        return kind;
    }
    match kind {
        "emergency" => "emergency",
        _ => "scheduled",
    }
}

/// Renders one notice in every format; `None` when its customer is no longer in the inventory.
pub fn render_notice(
    renderer: &Renderer,
    inv: &Inventory,
    findings: &view::FindingIndex,
    spec: &NoticeSpec,
) -> Result<Option<RenderedNotice>> {
    let Some(customer) = inv.customer(&spec.window.customer) else {
        return Ok(None);
    };
    let mut view = view::build(inv, findings, spec.window, customer);
    view.kind = spec.kind;
    view.uid = spec.uid.clone();
    view.sequence = spec.sequence;
    view.previous = spec.previous.map(|(s, e)| view::times(s, e, customer));
    view.reminder = spec.reminder.clone();
    view.outcome = spec
        .outcome
        .clone()
        .map(|(status, note)| view::OutcomeView { status, note });
    let dir = format!("notices/{}", customer.id);
    let template = template_kind(renderer, view.locale, spec.kind);
    let mut files = Vec::new();
    for format in TEMPLATE_FORMATS {
        let text = renderer.render(view.locale, template, format, &view)?;
        files.push((format!("{dir}/{}.{format}", spec.stem), text));
    }
    let json = serde_json::to_string_pretty(&view).expect("views serialise");
    files.push((format!("{dir}/{}.json", spec.stem), json));
    let record = NoticeRecord {
        id: spec.id.clone(),
        customer: customer.id.clone(),
        window: spec.window.id.clone(),
        kind: spec.kind,
        uid: spec.uid.clone(),
        sequence: spec.sequence,
        files: files.iter().map(|(p, _)| p.clone()).collect(),
    };
    Ok(Some(RenderedNotice { record, files }))
}

/// Writes notice files under `out`, each through a temporary file and a rename, so that a file
/// is either whole or absent.
pub fn write_files(out: &Path, files: &[(String, String)]) -> Result<()> {
    for (rel, content) in files {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let tmp = path.with_extension("partial");
        std::fs::write(&tmp, content).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// Renders and writes the first notice of every window of `plan` (`scheduled` or `emergency`,
/// SEQUENCE 0) under `out/notices/CUSTOMER/`, as a plan without a ledger would issue them.
pub fn render_plan(inv: &Inventory, plan: &Plan, out: &Path) -> Result<Vec<NoticeRecord>> {
    let renderer = Renderer::new(Some(&inv.root.join("templates")))?;
    let findings = view::index(plan);
    let mut records = Vec::new();
    for window in &plan.windows {
        let kind = match window.kind {
            WindowKind::Emergency => "emergency",
            WindowKind::Planned => "scheduled",
        };
        let spec = NoticeSpec {
            id: format!("{}.{kind}", window.id),
            stem: window.id.clone(),
            kind,
            window,
            uid: format!("{}@{}", window.id, inv.organisation.domain),
            sequence: 0,
            previous: None,
            reminder: None,
            outcome: None,
        };
        if let Some(n) = render_notice(&renderer, inv, &findings, &spec)? {
            write_files(out, &n.files)?;
            records.push(n.record);
        }
    }
    Ok(records)
}
