//! PEP 440 (PyPI): epochs, pre-, post- and dev-releases, local versions, and the spelling
//! variants PEP 440 normalises (`1.0-1`, `1.0c1`, `v1.0`). Ordering is `pep440_rs`'s, the
//! implementation uv uses; a committed table generated with Python's `packaging` (the reference
//! implementation) checks it.

use std::cmp::Ordering;
use std::str::FromStr;

/// A PEP 440 version, kept with the text it was read from.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    parsed: pep440_rs::Version,
    original: String,
}

impl Pep440Version {
    /// Parses `text` as PEP 440 (normalising its permitted spelling variants).
    pub fn parse(text: &str) -> Result<Pep440Version, String> {
        let trimmed = text.trim();
        let parsed = pep440_rs::Version::from_str(trimmed)
            .map_err(|e| format!("not a PEP 440 version ({e})"))?;
        Ok(Pep440Version {
            parsed,
            original: trimmed.to_string(),
        })
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parsed.cmp(&other.parsed)
    }
}

super::by_precedence!(Pep440Version, original);

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn v(text: &str) -> Pep440Version {
        Pep440Version::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn case(a: &str, b: &str, expected: Ordering) {
        assert_eq!(v(a).cmp(&v(b)), expected, "{a} vs {b}");
        assert_eq!(v(b).cmp(&v(a)), expected.reverse(), "{b} vs {a}");
    }

    #[test]
    fn orders_as_pep_440_says() {
        // PEP 440, "Summary of permitted suffixes and relative ordering".
        let ordered = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for pair in ordered.windows(2) {
            case(pair[0], pair[1], Less);
        }
        // Epochs, release padding and the normalised spellings (PEP 440, "Normalization").
        case("1!0.5", "2.0", Greater);
        case("0!1.0", "1.0", Equal);
        case("1.0", "1.0.0.0", Equal);
        case("v1.0", "1.0", Equal);
        case("1.0-1", "1.0.post1", Equal);
        case("1.0c1", "1.0rc1", Equal);
        case("1.0-preview1", "1.0rc1", Equal);
        case("1.0.alpha.1", "1.0a1", Equal);
        case("1.01", "1.1", Equal);
        case("1.0+local.10", "1.0+local.9", Greater);
        case("2024.10.1", "10.0", Greater);
    }

    #[test]
    fn agrees_with_python_packaging() {
        let table = include_str!("../../tests/fixtures/versions/pep440.tsv");
        let mut pairs = 0;
        for line in table
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let cols: Vec<&str> = line.split('\t').collect();
            let expected = match cols[2] {
                "-1" => Less,
                "0" => Equal,
                _ => Greater,
            };
            case(cols[0], cols[1], expected);
            pairs += 1;
        }
        assert!(pairs >= 800, "only {pairs} pairs in pep440.tsv");
    }

    #[test]
    fn rejects_what_is_not_pep_440() {
        for bad in [
            "",
            " ",
            "one",
            "1.0-",
            "1..0",
            "1.0+",
            "１.０",
            "0.1dev-r1234",
            "1.0+a..b",
        ] {
            assert!(Pep440Version::parse(bad).is_err(), "{bad:?}");
        }
        // Too large for the implementation is an error, never a panic.
        assert!(Pep440Version::parse("99999999999999999999999999.1").is_err());
    }
}
