//! Dates, durations, plural forms and lists per notice language. Dates are written out in full,
//! with the zone's name or abbreviation and its UTC offset (`01:30 EDT (GMT-4)`, `06:00 hora de
//! Bogotá (GMT-5)`), because a notice is read by people in the customer's zone, who know their
//! zone by name, and forwarded to people who are not, who need the offset. Written by hand: the two languages need a few dozen words,
//! and the ICU data crates would be most of the binary.

use chrono::{DateTime, Datelike, Offset, Timelike, Utc};
use chrono_tz::{OffsetName, Tz};

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

/// How much of a date and time to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `Sunday, 1 November 2026, 01:30 EDT (GMT-4)` / `domingo, 1 de noviembre de 2026, 01:30
    /// hora de Nueva York (GMT-4)`.
    Long,
    /// `Sunday, 1 November 2026` / `domingo, 1 de noviembre de 2026`.
    Date,
    /// `01:30 EDT (GMT-4)`.
    Time,
    /// `1 Nov 2026, 01:30 EDT (GMT-4)` / `1 nov 2026, 01:30 hora de Nueva York (GMT-4)`.
    Short,
    /// `2026-11-01 01:30 GMT-4`, the same in every language.
    Iso,
}

impl Style {
    /// The style named `long`, `date`, `time`, `short` or `iso`.
    pub fn parse(s: &str) -> Option<Style> {
        Some(match s {
            "long" => Style::Long,
            "date" => Style::Date,
            "time" => Style::Time,
            "short" => Style::Short,
            "iso" => Style::Iso,
            _ => return None,
        })
    }
}

/// `t` in zone `tz`, written in `locale` and `style`.
pub fn datetime(t: &DateTime<Utc>, tz: Tz, locale: Locale, style: Style) -> String {
    let local = t.with_timezone(&tz);
    let (weekday, month) = (
        local.weekday().num_days_from_monday() as usize,
        local.month0() as usize,
    );
    let (d, y) = (local.day(), local.year());
    let time = format!("{:02}:{:02}", local.hour(), local.minute());
    let offset = offset_label(tz, local.offset().fix().local_minus_utc());
    // London's winter abbreviation is its offset label, `GMT`: said once.
    let time = match zone_name(tz, local.offset().abbreviation().unwrap_or(""), locale) {
        Some(zone) if zone != offset => format!("{time} {zone}"),
        _ => time,
    };
    let (days, months) = match locale {
        Locale::En => (EN_DAYS, EN_MONTHS),
        Locale::Es => (ES_DAYS, ES_MONTHS),
    };
    let date = match locale {
        Locale::En => format!("{}, {d} {} {y}", days[weekday], months[month]),
        Locale::Es => format!("{}, {d} de {} de {y}", days[weekday], months[month]),
    };
    match style {
        Style::Long => format!("{date}, {time} ({offset})"),
        Style::Date => date,
        Style::Time => format!("{time} ({offset})"),
        Style::Short => {
            let abbr: String = months[month].chars().take(3).collect();
            format!("{d} {abbr} {y}, {time} ({offset})")
        }
        Style::Iso => format!("{} {offset}", local.format("%Y-%m-%d %H:%M")),
    }
}

/// `Sunday, 1 November 2026, 01:30 EDT (GMT-4)` / `domingo, 1 de noviembre de 2026, 06:00 hora
/// de Bogotá (GMT-5)`.
pub fn long_datetime(t: &DateTime<Utc>, tz: Tz, locale: Locale) -> String {
    datetime(t, tz, locale, Style::Long)
}

/// The zone as its people name it, beside the offset: in English the zone's abbreviation when it
/// has one of letters (`EDT`, `AEST`), else `Bogotá time`; in Spanish `hora de Bogotá`. `None`
/// for UTC and for zones without a place (`Etc/GMT+5`), whose offset says it all.
/// `abbreviation` is the tz database's for the instant (`EDT`, or `-05` where it has none).
fn zone_name(tz: Tz, abbreviation: &str, locale: Locale) -> Option<String> {
    let name = tz.name();
    let letters = !abbreviation.is_empty() && abbreviation.chars().all(|c| c.is_ascii_alphabetic());
    if name.contains("UTC") || abbreviation == "UTC" {
        return None;
    }
    let placed = !name.starts_with("Etc/") && name.contains('/');
    let city = placed.then(|| city(name.rsplit('/').next().unwrap_or(name), locale));
    match (locale, city) {
        (Locale::En, _) if letters => Some(abbreviation.to_string()),
        (Locale::En, Some(city)) => Some(format!("{city} time")),
        (Locale::Es, Some(city)) => Some(format!("hora de {city}")),
        (Locale::Es, None) if letters => Some(abbreviation.to_string()),
        _ => None,
    }
}

/// A zone's city as written in `locale`: the IANA name's last part with spaces, and the accents
/// and Spanish names IANA's ASCII spelling leaves out for the zones customers are most often in.
fn city(iana: &str, locale: Locale) -> String {
    const NAMES: [(&str, &str, &str); 17] = [
        ("Bogota", "Bogotá", "Bogotá"),
        ("Asuncion", "Asunción", "Asunción"),
        ("Mexico_City", "Mexico City", "Ciudad de México"),
        ("Sao_Paulo", "São Paulo", "São Paulo"),
        ("Panama", "Panama", "Panamá"),
        ("Cancun", "Cancún", "Cancún"),
        ("Merida", "Mérida", "Mérida"),
        ("Mazatlan", "Mazatlán", "Mazatlán"),
        ("New_York", "New York", "Nueva York"),
        ("Havana", "Havana", "La Habana"),
        ("Lord_Howe", "Lord Howe", "Lord Howe"),
        ("Costa_Rica", "Costa Rica", "Costa Rica"),
        ("El_Salvador", "El Salvador", "El Salvador"),
        ("Puerto_Rico", "Puerto Rico", "Puerto Rico"),
        ("Los_Angeles", "Los Angeles", "Los Ángeles"),
        ("London", "London", "Londres"),
        ("Lisbon", "Lisbon", "Lisboa"),
    ];
    match NAMES.iter().find(|(n, _, _)| *n == iana) {
        Some((_, en, _)) if locale == Locale::En => en.to_string(),
        Some((_, _, es)) => es.to_string(),
        None => iana.replace('_', " "),
    }
}

/// `UTC` for the UTC zones, else `GMT-5`, `GMT+5:30`, `GMT`.
fn offset_label(tz: Tz, seconds: i32) -> String {
    if seconds == 0 && tz.name().contains("UTC") {
        return "UTC".into();
    }
    gmt_offset(seconds)
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

/// `one` or `other`, the plural categories English and Spanish use for whole numbers.
pub fn plural<'a>(n: u64, one: &'a str, other: &'a str) -> &'a str {
    if n == 1 { one } else { other }
}

/// A duration in words: `1 day and 2 hours`, `2 hours and 30 minutes` / `2 horas y 30 minutos`.
pub fn duration_words(minutes: i64, locale: Locale) -> String {
    let minutes = minutes.max(0);
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let units: [(i64, [&str; 2], [&str; 2]); 3] = [
        (d, ["day", "days"], ["día", "días"]),
        (h, ["hour", "hours"], ["hora", "horas"]),
        (m, ["minute", "minutes"], ["minuto", "minutos"]),
    ];
    let parts: Vec<String> = units
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, en, es)| {
            let [one, other] = if locale == Locale::En { *en } else { *es };
            format!("{n} {}", plural(*n as u64, one, other))
        })
        .collect();
    if parts.is_empty() {
        return if locale == Locale::En {
            "0 minutes"
        } else {
            "0 minutos"
        }
        .into();
    }
    list(&parts, locale, ListStyle::And)
}

/// How a list joins its last item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStyle {
    /// `a, b and c` / `a, b y c`.
    And,
    /// `a, b or c` / `a, b o c`.
    Or,
    /// `a, b, c`: for identifiers.
    Unit,
}

impl ListStyle {
    /// The style named `and`, `or` or `unit` (CLDR's names).
    pub fn parse(s: &str) -> Option<ListStyle> {
        Some(match s {
            "and" => ListStyle::And,
            "or" => ListStyle::Or,
            "unit" => ListStyle::Unit,
            _ => return None,
        })
    }
}

/// `a`, `a and b`, `a, b and c`; in Spanish `y` becomes `e` before an /i/ sound (`Francia e
/// Italia`) and `o` becomes `u` before an /o/ sound (`siete u ocho`).
pub fn list<S: AsRef<str>>(items: &[S], locale: Locale, style: ListStyle) -> String {
    let Some((last, rest)) = items.split_last() else {
        return String::new();
    };
    let last = last.as_ref();
    if rest.is_empty() {
        return last.to_string();
    }
    let head: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
    let head = head.join(", ");
    let word = match (style, locale) {
        (ListStyle::Unit, _) => return format!("{head}, {last}"),
        (ListStyle::And, Locale::En) => "and",
        (ListStyle::Or, Locale::En) => "or",
        (ListStyle::And, Locale::Es) if sounds_like(last, 'i') => "e",
        (ListStyle::And, Locale::Es) => "y",
        (ListStyle::Or, Locale::Es) if sounds_like(last, 'o') => "u",
        (ListStyle::Or, Locale::Es) => "o",
    };
    format!("{head} {word} {last}")
}

/// Whether a Spanish word starts with the vowel sound `v` (`i` or `o`), a silent `h` included,
/// but not a diphthong (`hielo`, `hierba` keep `y`).
fn sounds_like(word: &str, v: char) -> bool {
    let lower = word.to_lowercase();
    let rest = lower.strip_prefix('h').unwrap_or(&lower);
    let mut chars = rest.chars();
    let first = chars.next().map(|c| match c {
        'í' => 'i',
        'ó' => 'o',
        c => c,
    });
    let next_is_vowel = chars.next().is_some_and(|c| "aeouáéóú".contains(c));
    first == Some(v) && !(v == 'i' && next_is_vowel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn writes_dates_in_the_customer_zone_and_language() {
        let t = at("2026-11-01T05:30:00Z");
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            long_datetime(&t, ny, Locale::En),
            "Sunday, 1 November 2026, 01:30 EDT (GMT-4)"
        );
        let bogota = chrono_tz::America::Bogota;
        assert_eq!(
            long_datetime(&t, bogota, Locale::Es),
            "domingo, 1 de noviembre de 2026, 00:30 hora de Bogotá (GMT-5)"
        );
        // An hour later the same wall-clock time comes round again, an hour further from UTC.
        let t2 = at("2026-11-01T06:30:00Z");
        assert_eq!(
            datetime(&t2, ny, Locale::En, Style::Time),
            "01:30 EST (GMT-5)"
        );
        assert_eq!(
            datetime(&t2, ny, Locale::Es, Style::Time),
            "01:30 hora de Nueva York (GMT-5)"
        );
        // Zones whose abbreviation is only an offset are named by their city; zones without a
        // place by their offset alone.
        let case = |tz: Tz, locale, want: &str| {
            assert_eq!(datetime(&t, tz, locale, Style::Time), want, "{tz}");
        };
        case(
            chrono_tz::America::Bogota,
            Locale::En,
            "00:30 Bogotá time (GMT-5)",
        );
        case(
            chrono_tz::America::Sao_Paulo,
            Locale::Es,
            "02:30 hora de São Paulo (GMT-3)",
        );
        case(chrono_tz::Asia::Kolkata, Locale::En, "11:00 IST (GMT+5:30)");
        case(chrono_tz::Etc::GMTPlus5, Locale::En, "00:30 (GMT-5)");
        case(chrono_tz::UTC, Locale::Es, "05:30 (UTC)");
        case(chrono_tz::Europe::London, Locale::En, "05:30 (GMT)");
        case(
            chrono_tz::Europe::London,
            Locale::Es,
            "05:30 hora de Londres (GMT)",
        );
        assert_eq!(gmt_offset(19800), "GMT+5:30");
    }

    #[test]
    fn every_style() {
        let t = at("2026-11-29T07:00:00Z");
        let bogota = chrono_tz::America::Bogota;
        let case = |style, locale, want: &str| {
            assert_eq!(datetime(&t, bogota, locale, style), want, "{style:?}");
        };
        case(
            Style::Long,
            Locale::Es,
            "domingo, 29 de noviembre de 2026, 02:00 hora de Bogotá (GMT-5)",
        );
        case(Style::Date, Locale::En, "Sunday, 29 November 2026");
        case(
            Style::Short,
            Locale::Es,
            "29 nov 2026, 02:00 hora de Bogotá (GMT-5)",
        );
        case(Style::Iso, Locale::Es, "2026-11-29 02:00 GMT-5");
        assert_eq!(
            datetime(&t, chrono_tz::UTC, Locale::En, Style::Iso),
            "2026-11-29 07:00 UTC"
        );
        assert_eq!(Style::parse("medium"), None);
    }

    #[test]
    fn durations_in_words() {
        let case = |m, locale, want: &str| assert_eq!(duration_words(m, locale), want);
        case(150, Locale::Es, "2 horas y 30 minutos");
        case(60, Locale::En, "1 hour");
        case(1, Locale::Es, "1 minuto");
        case(0, Locale::En, "0 minutes");
        case(2 * 1440 + 61, Locale::En, "2 days, 1 hour and 1 minute");
        case(1440, Locale::Es, "1 día");
    }

    #[test]
    fn lists_join_as_each_language_does() {
        let case = |items: &[&str], locale, style, want: &str| {
            assert_eq!(list(items, locale, style), want);
        };
        case(&[], Locale::En, ListStyle::And, "");
        case(&["a"], Locale::En, ListStyle::And, "a");
        case(&["a", "b", "c"], Locale::En, ListStyle::And, "a, b and c");
        case(
            &["Portal", "Gateway"],
            Locale::Es,
            ListStyle::And,
            "Portal y Gateway",
        );
        case(
            &["Francia", "Italia"],
            Locale::Es,
            ListStyle::And,
            "Francia e Italia",
        );
        case(
            &["padres", "hijos"],
            Locale::Es,
            ListStyle::And,
            "padres e hijos",
        );
        case(
            &["agua", "hielo"],
            Locale::Es,
            ListStyle::And,
            "agua y hielo",
        );
        case(
            &["siete", "ocho"],
            Locale::Es,
            ListStyle::Or,
            "siete u ocho",
        );
        case(
            &["A-1", "B-2", "C-3"],
            Locale::Es,
            ListStyle::Unit,
            "A-1, B-2, C-3",
        );
        assert_eq!(plural(1, "service", "services"), "service");
        assert_eq!(plural(0, "servicio", "servicios"), "servicios");
    }
}
