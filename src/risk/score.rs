//! The score, 0-100, that orders findings within a decision: a weighted sum of six inputs, each
//! scaled to 0..1, so that it is monotone in every input and its parts can be shown.
//!
//! | input | weight | value |
//! |---|---|---|
//! | CVSS base score | 30 | score / 10 (severity word's stand-in without a vector; 5.0 unknown) |
//! | EPSS percentile | 20 | percentile (0 unknown) |
//! | exploitation | 25 | none 0, public poc 0.5, active 1 |
//! | exposure | 10 | isolated 0, internal 0.5, internet 1 |
//! | mission and well-being | 10 | low 0, medium 0.5, high 1 |
//! | known ransomware use | 5 | 0 or 1 |

use serde::Serialize;

use super::points::Points;
use crate::inventory::Exposure;

/// The CVSS base score counted when nothing says how severe a flaw is.
pub const UNKNOWN_CVSS: f64 = 5.0;

/// One term of the sum.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreTerm {
    pub input: &'static str,
    pub weight: f64,
    /// The input scaled to 0..1.
    pub value: f64,
    /// weight x value.
    pub points: f64,
}

/// The six terms. `cvss` is the base score used (vector, else severity word), `epss` the EPSS
/// percentile.
pub fn terms(
    cvss: Option<f64>,
    epss: Option<f64>,
    p: &Points,
    exposure: Exposure,
    ransomware: bool,
) -> Vec<ScoreTerm> {
    let level = |x: usize| x as f64 / 2.0;
    let exposure = match exposure {
        Exposure::Isolated => 0.0,
        Exposure::Internal => 0.5,
        Exposure::Internet => 1.0,
    };
    [
        (
            "CVSS base score / 10",
            30.0,
            cvss.unwrap_or(UNKNOWN_CVSS) / 10.0,
        ),
        ("EPSS percentile", 20.0, epss.unwrap_or(0.0)),
        ("exploitation", 25.0, level(p.exploitation as usize)),
        ("exposure", 10.0, exposure),
        ("mission and well-being", 10.0, level(p.mission as usize)),
        ("known ransomware use", 5.0, f64::from(u8::from(ransomware))),
    ]
    .into_iter()
    .map(|(input, weight, value)| ScoreTerm {
        input,
        weight,
        value,
        points: weight * value,
    })
    .collect()
}

/// The sum of the terms, rounded to one decimal.
pub fn total(terms: &[ScoreTerm]) -> f64 {
    let raw: f64 = terms.iter().map(|t| t.points).sum();
    (raw * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::tables::{Exploitation, Mission};

    /// One combination of the six inputs.
    #[derive(Debug, Clone, Copy)]
    struct In {
        cvss: f64,
        epss: f64,
        exploitation: Exploitation,
        exposure: Exposure,
        mission: Mission,
        ransomware: bool,
    }

    fn score(i: In) -> f64 {
        let p = Points {
            exploitation: i.exploitation,
            automatable: false,
            technical_impact_total: false,
            mission: i.mission,
            publicly_exposed: i.exposure == Exposure::Internet,
        };
        total(&terms(
            Some(i.cvss),
            Some(i.epss),
            &p,
            i.exposure,
            i.ransomware,
        ))
    }

    const CVSS: [f64; 6] = [0.0, 2.0, 5.0, 7.5, 9.8, 10.0];
    const EPSS: [f64; 4] = [0.0, 0.3, 0.95, 1.0];
    const EXPLOITATION: [Exploitation; 3] = [
        Exploitation::None,
        Exploitation::PublicPoc,
        Exploitation::Active,
    ];
    const EXPOSURE: [Exposure; 3] = [Exposure::Isolated, Exposure::Internal, Exposure::Internet];
    const MISSION: [Mission; 3] = [Mission::Low, Mission::Medium, Mission::High];

    /// Every combination of the inputs' table values.
    fn grid() -> Vec<In> {
        let mut out = Vec::new();
        for cvss in CVSS {
            for epss in EPSS {
                for exploitation in EXPLOITATION {
                    for exposure in EXPOSURE {
                        for mission in MISSION {
                            for ransomware in [false, true] {
                                out.push(In {
                                    cvss,
                                    epss,
                                    exploitation,
                                    exposure,
                                    mission,
                                    ransomware,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// For every point of the grid, raising one input one step (by `raise`) never lowers the
    /// score and always raises it: the property "monotone in every input".
    fn case(input: &str, raise: impl Fn(In) -> Option<In>) {
        for lower in grid() {
            let Some(higher) = raise(lower) else { continue };
            let (a, b) = (score(lower), score(higher));
            assert!(
                a < b && (0.0..=100.0).contains(&a) && b <= 100.0,
                "{input}: {lower:?} -> {a}, {higher:?} -> {b}"
            );
        }
    }

    fn next<T: Copy + PartialEq>(table: &[T], x: T) -> Option<T> {
        let i = table.iter().position(|v| *v == x)?;
        table.get(i + 1).copied()
    }

    #[test]
    fn the_score_is_monotone_in_every_input() {
        case("cvss", |i| {
            Some(In {
                cvss: next(&CVSS, i.cvss)?,
                ..i
            })
        });
        case("epss", |i| {
            Some(In {
                epss: next(&EPSS, i.epss)?,
                ..i
            })
        });
        case("exploitation", |i| {
            Some(In {
                exploitation: next(&EXPLOITATION, i.exploitation)?,
                ..i
            })
        });
        case("exposure", |i| {
            Some(In {
                exposure: next(&EXPOSURE, i.exposure)?,
                ..i
            })
        });
        case("mission", |i| {
            Some(In {
                mission: next(&MISSION, i.mission)?,
                ..i
            })
        });
        case("ransomware", |i| {
            (!i.ransomware).then_some(In {
                ransomware: true,
                ..i
            })
        });
    }

    #[test]
    fn the_score_spans_0_to_100() {
        let bottom = In {
            cvss: 0.0,
            epss: 0.0,
            exploitation: Exploitation::None,
            exposure: Exposure::Isolated,
            mission: Mission::Low,
            ransomware: false,
        };
        let top = In {
            cvss: 10.0,
            epss: 1.0,
            exploitation: Exploitation::Active,
            exposure: Exposure::Internet,
            mission: Mission::High,
            ransomware: true,
        };
        assert_eq!((score(bottom), score(top)), (0.0, 100.0));
    }
}
