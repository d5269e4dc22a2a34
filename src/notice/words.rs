//! The phrases a notice carries as data rather than template text: its title, urgency, the reason
//! for the work, decision and outcome words, and the labels of the calendar description. They
//! live here, not in templates, because the `json` and `ics` formats need them too.

use super::{Kind, Outcome};
use crate::inventory::Locale::{self, En, Es};
use crate::risk::Decision;

/// The title of a notice: its kind, whether the window is an emergency intervention, and for a
/// `completed` notice how the work went: a rolled-back window's notice says it failed, in its
/// title as in its text.
pub fn title(
    kind: Kind,
    emergency: bool,
    outcome: Option<Outcome>,
    locale: Locale,
) -> &'static str {
    use Kind::*;
    match (kind, outcome) {
        (Completed, Some(Outcome::RolledBack)) => rolled_back_title(emergency, locale),
        (Completed, Some(Outcome::Partial)) => partial_title(emergency, locale),
        _ => plain_title(kind, emergency, locale),
    }
}

fn plain_title(kind: Kind, emergency: bool, locale: Locale) -> &'static str {
    use Kind::*;
    match (kind, emergency, locale) {
        (Emergency, _, En) | (Scheduled, true, En) => "Emergency security intervention",
        (Emergency, _, Es) | (Scheduled, true, Es) => "Intervención de seguridad de emergencia",
        (Scheduled, false, En) => "Planned maintenance",
        (Scheduled, false, Es) => "Mantenimiento programado",
        (Reminder, _, En) => "Planned maintenance reminder",
        (Reminder, _, Es) => "Recordatorio de mantenimiento programado",
        (Rescheduled, false, En) => "Planned maintenance rescheduled",
        (Rescheduled, false, Es) => "Cambio de fecha del mantenimiento programado",
        (Rescheduled, true, En) => "Emergency security intervention rescheduled",
        (Rescheduled, true, Es) => {
            "Cambio de horario de la intervención de seguridad de emergencia"
        }
        (Cancelled, false, En) => "Planned maintenance cancelled",
        (Cancelled, false, Es) => "Mantenimiento programado cancelado",
        (Cancelled, true, En) => "Emergency security intervention cancelled",
        (Cancelled, true, Es) => "Intervención de seguridad de emergencia cancelada",
        (Completed, false, En) => "Maintenance completed",
        (Completed, false, Es) => "Mantenimiento finalizado",
        (Completed, true, En) => "Emergency security intervention completed",
        (Completed, true, Es) => "Intervención de seguridad de emergencia finalizada",
    }
}

fn rolled_back_title(emergency: bool, locale: Locale) -> &'static str {
    match (emergency, locale) {
        (false, En) => "Maintenance failed and rolled back",
        (false, Es) => "Mantenimiento fallido y revertido",
        (true, En) => "Emergency security intervention failed and rolled back",
        (true, Es) => "Intervención de seguridad de emergencia fallida y revertida",
    }
}

fn partial_title(emergency: bool, locale: Locale) -> &'static str {
    match (emergency, locale) {
        (false, En) => "Maintenance partly completed",
        (false, Es) => "Mantenimiento completado en parte",
        (true, En) => "Emergency security intervention partly completed",
        (true, Es) => "Intervención de seguridad de emergencia completada en parte",
    }
}

/// A mail subject: what, which services and when, in the customer's zone and language
/// (`Planned maintenance: Subscriber self-care portal – Sunday, 1 November 2026, 01:30 EDT
/// (GMT-4)`), so that no two notices of different windows share one.
pub fn subject(title: &str, services: &str, when: &str) -> String {
    format!("{title}: {services} – {when}")
}

/// Text for a notice's urgency.
pub fn urgency(level: &str, locale: Locale) -> &'static str {
    match (level, locale) {
        ("emergency", En) => "Emergency security intervention",
        ("emergency", Es) => "Intervención de seguridad de emergencia",
        ("high", En) => "High: security updates",
        ("high", Es) => "Alta: actualizaciones de seguridad",
        (_, En) => "Routine maintenance",
        (_, Es) => "Mantenimiento de rutina",
    }
}

/// How urgent a change is, in the customer's words. The SSVC decision names (`act`, `attend`,
/// `track*`, `track`) are the operator's triage vocabulary and stay in plan.json and the json
/// view's `decision`; a customer reads a priority.
/// Why a flaw remains after the work, in the customer's words.
pub fn remaining(reason: crate::schedule::Unscheduled, locale: Locale) -> &'static str {
    use crate::schedule::Unscheduled::FixOnOtherBranch;
    match (reason, locale) {
        (FixOnOtherBranch, En) => "fixed only in another version line; planned separately",
        (FixOnOtherBranch, Es) => {
            "corregido solo en otra línea de versiones; se planificará aparte"
        }
        (_, En) => "no fix is available yet",
        (_, Es) => "aún no hay corrección disponible",
    }
}

pub fn decision(d: Decision, locale: Locale) -> &'static str {
    match (d, locale) {
        (Decision::Act, En) => "urgent",
        (Decision::Act, Es) => "urgente",
        (Decision::Attend, En) => "high priority",
        (Decision::Attend, Es) => "prioridad alta",
        (Decision::TrackStar, En) => "medium priority",
        (Decision::TrackStar, Es) => "prioridad media",
        (Decision::Track, En) => "low priority",
        (Decision::Track, Es) => "prioridad baja",
    }
}

/// What a `completed` notice reports.
pub fn outcome(o: Outcome, locale: Locale) -> &'static str {
    match (o, locale) {
        (Outcome::Done, En) => "All planned work was completed.",
        (Outcome::Done, Es) => "Se completó todo el trabajo previsto.",
        (Outcome::Partial, En) => {
            "Part of the planned work was completed; the rest will be announced separately."
        }
        (Outcome::Partial, Es) => {
            "Se completó parte del trabajo previsto; el resto se anunciará por separado."
        }
        (Outcome::RolledBack, En) => {
            "The changes were rolled back: the services run as before, and the work will be rescheduled."
        }
        (Outcome::RolledBack, Es) => {
            "Los cambios se revirtieron: los servicios funcionan como antes y el trabajo se reprogramará."
        }
    }
}

/// Why the work is done, for planned windows and for emergencies under `summary` disclosure.
pub fn generic_reason(emergency: bool, locale: Locale) -> &'static str {
    match (emergency, locale) {
        (true, En) => {
            "A security issue affecting these services requires immediate action to protect the security and integrity of the service."
        }
        (true, Es) => {
            "Un problema de seguridad que afecta a estos servicios requiere una acción inmediata para proteger la seguridad e integridad del servicio."
        }
        (false, En) => {
            "Security and stability updates, applied according to operational priority and risk."
        }
        (false, Es) => {
            "Actualizaciones de seguridad y estabilidad, aplicadas según prioridad operativa y riesgo."
        }
    }
}

/// Why an emergency, under `detailed` disclosure: an urgent fix (`act`) cannot wait for a window.
pub fn act_reason(locale: Locale) -> &'static str {
    match locale {
        En => {
            "At least one of the changes below fixes an urgent security flaw, our highest priority: it cannot wait for a planned window."
        }
        Es => {
            "Al menos uno de los cambios indicados corrige una falla de seguridad urgente, nuestra máxima prioridad: no puede esperar a una ventana programada."
        }
    }
}

/// Why an emergency, under `detailed` disclosure: a fix is due before any usable window.
pub fn deadline_reason(deadline: &str, locale: Locale) -> String {
    match locale {
        En => format!(
            "The changes below are due by {deadline}, and no planned window before then can take them."
        ),
        Es => format!(
            "Los cambios indicados deben aplicarse antes del {deadline}, y ninguna ventana programada anterior puede incluirlos."
        ),
    }
}

/// Why an emergency, under `detailed` disclosure: the operator forced it, for these reasons.
pub fn forced_reason(reasons: &str, locale: Locale) -> String {
    match locale {
        En => format!("Security team decision: {reasons}"),
        Es => format!("Decisión del equipo de seguridad: {reasons}"),
    }
}

/// Labels of the calendar description, which is written by code (see `ics`).
#[derive(Debug, Clone, Copy)]
pub enum Label {
    Reference,
    When,
    Utc,
    Previously,
    Services,
    Downtime,
    Priority,
    Outcome,
    Note,
    Changes,
    Questions,
}

/// The text of a calendar label.
pub fn label(l: Label, locale: Locale) -> &'static str {
    use Label::*;
    let (en, es) = match l {
        Reference => ("Reference", "Referencia"),
        When => ("When", "Cuándo"),
        Utc => ("UTC", "UTC"),
        Previously => ("Previously announced", "Anunciado antes"),
        Services => ("Services", "Servicios"),
        Downtime => ("Expected downtime", "Corte previsto"),
        Priority => ("Priority", "Prioridad"),
        Outcome => ("Outcome", "Resultado"),
        Note => ("Note", "Nota"),
        Changes => ("Changes", "Cambios"),
        Questions => ("Questions", "Consultas"),
    };
    if locale == En { en } else { es }
}

/// What an upgrade restarts, in words.
pub fn restart(restart: crate::inventory::Restart, locale: Locale) -> &'static str {
    use crate::inventory::Restart::*;
    match (restart, locale) {
        (Reboot, En) => "the host reboots",
        (Reboot, Es) => "el equipo se reinicia",
        (Service, En) => "the service restarts",
        (Service, Es) => "el servicio se reinicia",
        (None, En) => "no restart",
        (None, Es) => "sin reinicio",
    }
}

/// The downtime each service sees: `up to 5 minutes per service` or `none expected`.
pub fn downtime(minutes: u32, locale: Locale) -> String {
    let words = super::locale::duration_words(minutes.into(), locale);
    match (minutes, locale) {
        (0, En) => "none expected".into(),
        (0, Es) => "no se prevé".into(),
        (_, En) => format!("up to {words} per service"),
        (_, Es) => format!("hasta {words} por servicio"),
    }
}
