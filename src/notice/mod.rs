//! Notices: one per (customer, window), rendered from Handlebars templates in the customer's
//! language and zone, in every format (`txt`, `md`, and `json`, the view model itself).
//!
//! Templates live in `templates/LOCALE/KIND.FORMAT.hbs` (built into the binary); an inventory's
//! own `templates/` directory wins file by file. Rendering is strict: a missing variable is an
//! error naming the template.

pub mod locale;
mod render;
pub mod view;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use render::Renderer;

use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::plan::Plan;

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

/// Renders the notice of every window of `plan` under `out/notices/CUSTOMER/`.
pub fn render_plan(inv: &Inventory, plan: &Plan, out: &Path) -> Result<Vec<NoticeRecord>> {
    let renderer = Renderer::new(Some(&inv.root.join("templates")))?;
    let findings = view::index(plan);
    let mut records = Vec::new();
    for window in &plan.windows {
        let Some(customer) = inv.customer(&window.customer) else {
            continue;
        };
        let view = view::build(inv, &findings, window, customer);
        let dir = PathBuf::from("notices").join(&customer.id);
        std::fs::create_dir_all(out.join(&dir)).map_err(|e| Error::io(out.join(&dir), e))?;
        let mut files = Vec::new();
        for format in TEMPLATE_FORMATS {
            let text = renderer.render(view.locale, view.kind, format, &view)?;
            files.push(write(out, &dir, &window.id, format, text.as_bytes())?);
        }
        let json = serde_json::to_vec_pretty(&view).expect("views serialise");
        files.push(write(out, &dir, &window.id, "json", &json)?);
        records.push(NoticeRecord {
            id: format!("{}.{}", window.id, view.kind),
            customer: customer.id.clone(),
            window: window.id.clone(),
            kind: view.kind,
            uid: view.uid.clone(),
            sequence: view.sequence,
            files,
        });
    }
    Ok(records)
}

fn write(out: &Path, dir: &Path, id: &str, ext: &str, bytes: &[u8]) -> Result<String> {
    let rel = dir.join(format!("{id}.{ext}"));
    let path = out.join(&rel);
    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    Ok(rel.to_string_lossy().replace('\\', "/"))
}
