//! What a `send` run queues: for each notice the ledger issued that has no outbox row yet and
//! whose `send_at` has come, one delivery per contact (by email, when `[delivery] smtp` is set)
//! and per webhook (the customer's and the organisation's), each with its key: the Message-ID
//! or the Idempotency-Key, the same on every attempt.

use chrono::{DateTime, Utc};

use super::email;
use crate::error::Result;
use crate::inventory::{Customer, Inventory};
use crate::ledger::Ledger;
use crate::ledger::outbox::{Delivery, Unqueued};

/// The deliveries to queue at `now`: for each notice without outbox rows whose `send_at` has
/// come, one per contact (when SMTP is set up) and one for the customer's webhook.
pub(super) fn plan_queue(
    ledger: &Ledger,
    inv: &Inventory,
    now: DateTime<Utc>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Delivery>> {
    let mut out = Vec::new();
    let mut no_smtp = false;
    for n in ledger.unqueued()? {
        let Some(send_at) = send_at(&n) else {
            warnings.push(format!(
                "notice {}: no readable send_at in its JSON; not sent",
                n.id
            ));
            continue;
        };
        if send_at > now {
            continue;
        }
        if n.superseded && n.kind == "reminder" {
            // A reminder of an announcement that was since changed, rescheduled or cancelled:
            // the new announcement brought its own reminders. Other kinds still go, in order,
            // so that a customer never reads of a change to something never announced.
            continue;
        }
        let Some(customer) = inv.customer(&n.customer) else {
            warnings.push(format!(
                "notice {}: customer `{}` is no longer in the inventory; not sent",
                n.id, n.customer
            ));
            continue;
        };
        for (channel, recipient, key) in channels(inv, customer, &n.id) {
            if channel == "email" && inv.delivery.smtp.is_none() {
                no_smtp = true;
                continue;
            }
            out.push(queued(&n, customer, channel, recipient, key, now));
        }
    }
    if no_smtp {
        warnings.push(
            "patchplan.toml has no [delivery] smtp: due notices were not emailed (they are when it is set)".into(),
        );
    }
    Ok(out)
}

fn send_at(n: &Unqueued) -> Option<DateTime<Utc>> {
    let json: serde_json::Value = serde_json::from_str(n.file("json")?).ok()?;
    let text = json["send_at"].as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// (channel, recipient, key) of each delivery of notice `id` to `customer`.
fn channels(inv: &Inventory, customer: &Customer, id: &str) -> Vec<(&'static str, String, String)> {
    let message_id = email::message_id(id, &inv.organisation.domain);
    let mut out: Vec<_> = (customer.contacts.iter())
        .map(|c| ("email", c.email.clone(), message_id.clone()))
        .collect();
    out.dedup_by(|a, b| a.1 == b.1);
    let hooks = customer.webhook.iter().chain(inv.delivery.webhook.iter());
    for w in hooks {
        if !out
            .iter()
            .any(|(ch, url, _)| *ch == "webhook" && *url == w.url)
        {
            out.push(("webhook", w.url.clone(), id.to_string()));
        }
    }
    out
}

fn queued(
    n: &Unqueued,
    customer: &Customer,
    channel: &str,
    recipient: String,
    key: String,
    now: DateTime<Utc>,
) -> Delivery {
    Delivery {
        id: 0,
        seq: n.seq,
        notice: n.id.clone(),
        customer: customer.id.clone(),
        channel: channel.into(),
        recipient,
        key,
        state: "pending".into(),
        attempts: 0,
        in_flight: false,
        error: None,
        permanent: false,
        enqueued_at: crate::ledger::store::ts(now),
        last_attempt_at: None,
        next_attempt_at: None,
        sent_at: None,
    }
}
