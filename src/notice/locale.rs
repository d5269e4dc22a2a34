//! Words and date formats per notice language. Dates are written out in full, with the customer's
//! UTC offset, because a notice is read by people in the customer's zone.

use chrono::{DateTime, Datelike, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::inventory::Locale;

const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const ES_DAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// `Sunday, 1 November 2026, 01:30 (GMT-4)` / `domingo, 1 de noviembre de 2026, 01:30 (GMT-4)`.
pub fn long_datetime<T: TimeZone>(t: &DateTime<T>, tz: Tz, locale: Locale) -> String {
    let local = t.with_timezone(&tz);
    let day = local.weekday().num_days_from_monday() as usize;
    let month = local.month0() as usize;
    let (d, y) = (local.day(), local.year());
    let time = format!("{:02}:{:02}", local.hour(), local.minute());
    let offset = gmt_offset(local.offset().fix().local_minus_utc());
    match locale {
        Locale::En => format!(
            "{}, {d} {} {y}, {time} ({offset})",
            EN_DAYS[day], EN_MONTHS[month]
        ),
        Locale::Es => format!(
            "{}, {d} de {} de {y}, {time} ({offset})",
            ES_DAYS[day], ES_MONTHS[month]
        ),
    }
}

/// `GMT-5`, `GMT+5:30`, `GMT`.
pub fn gmt_offset(seconds: i32) -> String {
    if seconds == 0 {
        return "GMT".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    if m == 0 {
        format!("GMT{sign}{h}")
    } else {
        format!("GMT{sign}{h}:{m:02}")
    }
}

/// A duration in words: `2 hours 30 minutes` / `2 horas 30 minutos`.
pub fn duration_words(minutes: i64, locale: Locale) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let unit = |n: i64, en: (&str, &str), es: (&str, &str)| {
        let (one, many) = if locale == Locale::En { en } else { es };
        format!("{n} {}", if n == 1 { one } else { many })
    };
    let hours = unit(h, ("hour", "hours"), ("hora", "horas"));
    let mins = unit(m, ("minute", "minutes"), ("minuto", "minutos"));
    match (h, m) {
        (0, _) => mins,
        (_, 0) => hours,
        _ => format!("{hours} {mins}"),
    }
}

/// Text for a notice's urgency.
pub fn urgency(level: &str, locale: Locale) -> &'static str {
    match (level, locale) {
        ("emergency", Locale::En) => "Emergency security intervention",
        ("emergency", Locale::Es) => "Intervención de seguridad de emergencia",
        ("high", Locale::En) => "High: security updates",
        ("high", Locale::Es) => "Alta: actualizaciones de seguridad",
        (_, Locale::En) => "Routine maintenance",
        (_, Locale::Es) => "Mantenimiento de rutina",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_dates_in_the_customer_zone_and_language() {
        let t: DateTime<chrono::Utc> = "2026-11-01T05:30:00Z".parse().unwrap();
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            long_datetime(&t, ny, Locale::En),
            "Sunday, 1 November 2026, 01:30 (GMT-4)"
        );
        let bogota = chrono_tz::America::Bogota;
        assert_eq!(
            long_datetime(&t, bogota, Locale::Es),
            "domingo, 1 de noviembre de 2026, 00:30 (GMT-5)"
        );
        assert_eq!(gmt_offset(19800), "GMT+5:30");
        assert_eq!(duration_words(150, Locale::Es), "2 horas 30 minutos");
        assert_eq!(duration_words(60, Locale::En), "1 hour");
    }
}
