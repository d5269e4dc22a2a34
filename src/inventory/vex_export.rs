//! The operator's exceptions as an OpenVEX 0.2.0 document (`patchplan vex export`), so that the
//! triage done in overrides.toml travels to the tools that read VEX.
//!
//! An exception in force is `not_affected` with its reason as the impact statement and its
//! `justification` when it gives one (OpenVEX asks a `not_affected` for a justification or an
//! impact statement: the reason is always there); an expired one is `affected` with an action statement,
//! since the finding is back in the plan. Products are the exception's environments by id
//! (`["*"]`: every environment of the inventory), which is what `vex = [...]` reads back as every
//! component of that environment: the same findings leave the plan. VEX has no expiry, so the
//! document is a snapshot at its timestamp; statements that were in force are read back as in
//! force until the document is exported again. In-force statements come after expired ones, so
//! that where both name a finding the one in force wins, as in the plan (same timestamp: the last
//! read wins).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Exception, Inventory};

/// The OpenVEX document of `inv`'s exceptions, as of `now`.
pub fn export(inv: &Inventory, now: DateTime<Utc>) -> Value {
    let today = now.date_naive();
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut ordered: Vec<&Exception> = inv.overrides.exceptions.iter().collect();
    ordered.sort_by_key(|x| x.until >= today);
    let statements: Vec<Value> = ordered
        .into_iter()
        .filter_map(|x| statement(inv, x, today))
        .collect();
    let digest = Sha256::digest(json!(statements).to_string().as_bytes());
    let hash = crate::digest::hex(&digest[..8]);
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://{}/vex/patchplan-exceptions-{hash}", inv.organisation.domain),
        "author": format!("{} <{}>", inv.organisation.name, inv.organisation.email),
        "role": "operator",
        "timestamp": stamp,
        "version": 1,
        "tooling": format!("patchplan {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    })
}

/// The statement of one exception; none when it names no environment of the inventory.
fn statement(inv: &Inventory, x: &Exception, today: chrono::NaiveDate) -> Option<Value> {
    let products: Vec<Value> = inv
        .environments
        .iter()
        .filter(|e| x.environments.covers(&e.id))
        .map(|e| json!({"@id": e.id}))
        .collect();
    if products.is_empty() {
        return None;
    }
    let mut s = json!({
        "vulnerability": {"name": x.advisory},
        "products": products,
    });
    if x.until >= today {
        s["status"] = json!("not_affected");
        s["impact_statement"] = json!(x.reason);
        if let Some(j) = x.justification {
            s["justification"] = json!(j.as_str());
        }
        s["status_notes"] = json!(format!(
            "Accepted risk (patchplan exception) by {} until {}",
            x.owner, x.until
        ));
    } else {
        s["status"] = json!("affected");
        s["action_statement"] = json!(format!(
            "The exception accepted by {} expired on {}: apply the upgrade patchplan plans",
            x.owner, x.until
        ));
        s["status_notes"] = json!(format!("Expired exception: {}", x.reason));
    }
    Some(s)
}
