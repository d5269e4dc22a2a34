//! The customer page's own words, in each supported language.

use crate::inventory::Locale;

#[derive(Debug, Clone, Copy)]
pub enum W {
    Heading,
    Zone,
    Emergencies,
    Upcoming,
    NoneUpcoming,
    Completed,
    NoneCompleted,
    Subscribe,
    Calendar,
    Feed,
    Notice,
    FeedTitle,
    Updated,
}

pub fn w(word: W, locale: Locale) -> &'static str {
    use W::*;
    let (en, es) = match word {
        Heading => ("Maintenance", "Mantenimiento"),
        Zone => ("Times in", "Horas en"),
        Emergencies => ("Emergency interventions", "Intervenciones de emergencia"),
        Upcoming => ("Upcoming maintenance", "Próximos mantenimientos"),
        NoneUpcoming => (
            "No maintenance is planned.",
            "No hay mantenimientos programados.",
        ),
        Completed => (
            "Recent completed work",
            "Trabajos completados recientemente",
        ),
        NoneCompleted => ("No completed work yet.", "Aún no hay trabajos completados."),
        Subscribe => ("Subscribe", "Suscribirse"),
        Calendar => (
            "Calendar of all upcoming windows (iCalendar)",
            "Calendario de todas las ventanas próximas (iCalendar)",
        ),
        Feed => (
            "Feed of all notices (Atom)",
            "Canal de todos los avisos (Atom)",
        ),
        Notice => ("Read the notice", "Leer el aviso"),
        FeedTitle => ("Maintenance notices", "Avisos de mantenimiento"),
        Updated => ("Updated", "Actualizado"),
    };
    if locale == Locale::En { en } else { es }
}
