//! The one range type. OSV events, native `>=a, <b` ranges and explicit version lists are all
//! turned into a [`Range`] on load, so that matching and fix-version search have one code path.

use std::fmt;

use super::{Scheme, Version, VersionError};

/// The upper end of an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Unbounded,
    /// Versions below this one (OSV `fixed`, `limit`, native `<`).
    Exclusive(Version),
    /// Versions up to and including this one (OSV `last_affected`, native `<=`).
    Inclusive(Version),
}

/// A contiguous set of affected versions: from `lo` (inclusive; `None` is before every version)
/// up to `hi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub lo: Option<Version>,
    pub hi: Bound,
}

impl Interval {
    pub fn contains(&self, v: &Version) -> bool {
        let above_lo = self.lo.as_ref().is_none_or(|lo| v >= lo);
        let below_hi = match &self.hi {
            Bound::Unbounded => true,
            Bound::Exclusive(h) => v < h,
            Bound::Inclusive(h) => v <= h,
        };
        above_lo && below_hi
    }

    /// The version that ends this interval, when it is a fix (exclusive upper bound).
    pub fn fixed(&self) -> Option<&Version> {
        match &self.hi {
            Bound::Exclusive(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lo = self.lo.as_ref().map(|v| format!(">={v}"));
        let hi = match &self.hi {
            Bound::Unbounded => None,
            Bound::Exclusive(v) => Some(format!("<{v}")),
            Bound::Inclusive(v) => Some(format!("<={v}")),
        };
        let parts: Vec<String> = lo.into_iter().chain(hi).collect();
        if parts.is_empty() {
            f.write_str("*")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// A set of affected versions: a union of intervals plus explicitly listed versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Range {
    pub intervals: Vec<Interval>,
    pub versions: Vec<Version>,
}

/// One OSV range event, with its version already parsed (`None` for `introduced: "0"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
    Limit(Version),
}

impl Range {
    pub fn contains(&self, v: &Version) -> bool {
        self.intervals.iter().any(|i| i.contains(v)) || self.versions.contains(v)
    }

    /// The smallest fix above `v` on the interval that contains it: the version that leaves this
    /// range on `v`'s branch.
    pub fn fixed_for(&self, v: &Version) -> Option<&Version> {
        self.intervals
            .iter()
            .filter(|i| i.contains(v))
            .filter_map(Interval::fixed)
            .min()
    }

    /// Adds the intervals described by one OSV range's events. Events are sorted by the scheme's
    /// ordering first (file order is not trusted), `introduced` before other events at the same
    /// version; `limit` events cap every interval of this range.
    pub fn add_osv_events(&mut self, mut events: Vec<Event>) {
        let limit = events
            .iter()
            .filter_map(|e| match e {
                Event::Limit(v) => Some(v.clone()),
                _ => None,
            })
            .max();
        events.retain(|e| !matches!(e, Event::Limit(_)));
        events.sort_by(|a, b| event_key(a).cmp(&event_key(b)));
        let mut open: Option<Option<Version>> = None;
        let mut added = Vec::new();
        for event in events {
            match (event, open.take()) {
                (Event::Introduced(v), None) => open = Some(v),
                (Event::Introduced(_), Some(lo)) => open = Some(lo),
                (Event::Fixed(v), Some(lo)) => added.push(Interval {
                    lo,
                    hi: Bound::Exclusive(v),
                }),
                (Event::LastAffected(v), Some(lo)) => added.push(Interval {
                    lo,
                    hi: Bound::Inclusive(v),
                }),
                (_, None) => {}
                (Event::Limit(_), Some(lo)) => open = Some(lo),
            }
        }
        if let Some(lo) = open {
            added.push(Interval {
                lo,
                hi: Bound::Unbounded,
            });
        }
        if let Some(limit) = limit {
            added = added.into_iter().filter_map(|i| cap(i, &limit)).collect();
        }
        self.intervals.extend(added);
    }

    /// Parses a native range: comma-separated comparators `>=`, `<`, `<=`, such as
    /// `">=7.0.0, <7.2.3"`, or one exact version `=V`. Evaluated by precedence, pre-releases
    /// included.
    pub fn add_native(&mut self, scheme: Scheme, text: &str) -> Result<(), String> {
        let mut lo = None;
        let mut hi = Bound::Unbounded;
        let parse = |s: &str| {
            scheme
                .parse(s.trim())
                .map_err(|e: VersionError| e.to_string())
        };
        if let Some(v) = text
            .trim()
            .strip_prefix('=')
            .filter(|_| !text.contains(','))
        {
            self.versions.push(parse(v)?);
            return Ok(());
        }
        for part in text.split(',').map(str::trim) {
            if let Some(v) = part.strip_prefix(">=") {
                lo = Some(parse(v)?);
            } else if let Some(v) = part.strip_prefix("<=") {
                hi = Bound::Inclusive(parse(v)?);
            } else if let Some(v) = part.strip_prefix('<') {
                hi = Bound::Exclusive(parse(v)?);
            } else {
                return Err(format!(
                    "cannot read range part `{part}`: expected `>=V`, `<V` or `<=V` (or one `=V` alone)"
                ));
            }
        }
        self.intervals.push(Interval { lo, hi });
        Ok(())
    }
}

fn event_key(e: &Event) -> (Option<&Version>, u8) {
    match e {
        Event::Introduced(v) => (v.as_ref(), 0),
        Event::Fixed(v) => (Some(v), 1),
        Event::LastAffected(v) => (Some(v), 2),
        Event::Limit(v) => (Some(v), 3),
    }
}

fn cap(interval: Interval, limit: &Version) -> Option<Interval> {
    if interval.lo.as_ref().is_some_and(|lo| lo >= limit) {
        return None;
    }
    let hi = match interval.hi {
        Bound::Exclusive(h) if h <= *limit => Bound::Exclusive(h),
        Bound::Inclusive(h) if h < *limit => Bound::Inclusive(h),
        _ => Bound::Exclusive(limit.clone()),
    };
    Some(Interval {
        lo: interval.lo,
        hi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Scheme::SemVer.parse(s).unwrap()
    }

    fn osv(events: &[(&str, &str)]) -> Range {
        let events = events
            .iter()
            .map(|(kind, ver)| match *kind {
                "introduced" if *ver == "0" => Event::Introduced(None),
                "introduced" => Event::Introduced(Some(v(ver))),
                "fixed" => Event::Fixed(v(ver)),
                "last_affected" => Event::LastAffected(v(ver)),
                "limit" => Event::Limit(v(ver)),
                _ => unreachable!(),
            })
            .collect();
        let mut r = Range::default();
        r.add_osv_events(events);
        r
    }

    fn case(range: &Range, version: &str, affected: bool) {
        assert_eq!(
            range.contains(&v(version)),
            affected,
            "{version} in {range:?}"
        );
    }

    #[test]
    fn evaluates_introduced_and_fixed() {
        let r = osv(&[("introduced", "0"), ("fixed", "1.2.3")]);
        case(&r, "0.0.1", true);
        case(&r, "1.2.3-rc.1", true);
        case(&r, "1.2.3", false);
        case(&r, "2.0.0", false);
    }

    #[test]
    fn sorts_events_before_evaluating() {
        // File order is not trusted: two branches given out of order.
        let r = osv(&[
            ("fixed", "2.3.1"),
            ("introduced", "2.0.0"),
            ("fixed", "1.4.2"),
            ("introduced", "1.0.0"),
        ]);
        case(&r, "0.9.0", false);
        case(&r, "1.0.0", true);
        case(&r, "1.4.2", false);
        case(&r, "1.9.0", false);
        case(&r, "2.3.0", true);
        case(&r, "2.3.1", false);
        assert_eq!(r.fixed_for(&v("2.1.0")), Some(&v("2.3.1")));
        assert_eq!(r.fixed_for(&v("1.1.0")), Some(&v("1.4.2")));
    }

    #[test]
    fn last_affected_is_inclusive_and_has_no_fix() {
        let r = osv(&[("introduced", "1.0.0"), ("last_affected", "1.5.0")]);
        case(&r, "1.5.0", true);
        case(&r, "1.5.1", false);
        assert_eq!(r.fixed_for(&v("1.2.0")), None);
    }

    #[test]
    fn open_ranges_and_limits() {
        let r = osv(&[("introduced", "3.0.0")]);
        case(&r, "99.0.0", true);
        case(&r, "2.9.9", false);
        let r = osv(&[("introduced", "0"), ("limit", "2.0.0")]);
        case(&r, "1.9.9", true);
        case(&r, "2.0.0", false);
    }

    #[test]
    fn native_ranges_include_prereleases() {
        let mut r = Range::default();
        r.add_native(Scheme::SemVer, ">=1.0.0, <2.0.0").unwrap();
        case(&r, "2.0.0-rc.1", true);
        case(&r, "2.0.0", false);
        assert!(r.add_native(Scheme::SemVer, "~1.0").is_err());
        assert!(r.add_native(Scheme::SemVer, ">1.0.0").is_err());
        assert!(r.add_native(Scheme::SemVer, ">=1.0.0, =1.2.0").is_err());
        let mut exact = Range::default();
        exact.add_native(Scheme::SemVer, "=1.2.0").unwrap();
        case(&exact, "1.2.0", true);
        case(&exact, "1.2.1", false);
    }
}
