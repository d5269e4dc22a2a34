//! `patchplan scan`: match the inventory's environments, or ad-hoc lockfiles and SBOMs, against
//! feeds.

use std::path::PathBuf;

use super::{Cli, Outcome, Output, print, table, warn};
use crate::error::{Error, Result};
use crate::export::{ScanFinding, ScanReport};
use crate::feeds::{FeedKind, FeedSpec, Feeds};
use crate::inputs::distro::{Distro, PackageFormat};
use crate::inputs::{Host, Kind};
use crate::inventory::Inventory;
use crate::matching::{self, Target, TargetComponent};
use crate::plan::{History, Status};
use crate::risk::{self, Decision};
use clap::Args;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A lockfile to scan instead of the inventory (repeatable): Cargo.lock,
    /// package-lock.json, requirements*.txt, poetry.lock, go.mod, go.sum, or an OS package list
    /// (a dpkg status file, an apk `installed` database, a `*.rpm-qa` listing).
    #[arg(
        long,
        help_heading = "Inputs (instead of the inventory)",
        value_name = "FILE"
    )]
    lockfile: Vec<PathBuf>,
    /// The distribution release of the OS package lists given with --lockfile, as ID:VERSION:
    /// ubuntu:22.04, debian:12, alpine:3.20, almalinux:9, rocky:9. Without it (or
    /// --os-release), an `os-release` file beside each list names its release.
    #[arg(long, value_name = "ID:VERSION", value_parser = parse_distro, conflicts_with = "os_release")]
    distro: Option<Distro>,
    /// The host's /etc/os-release, naming the release of the OS package lists.
    #[arg(long, value_name = "FILE")]
    os_release: Option<PathBuf>,
    /// The host has Ubuntu Pro: its packages also match `Ubuntu:Pro:` records.
    #[arg(long)]
    ubuntu_pro: bool,
    /// An SBOM to scan instead of the inventory (repeatable): CycloneDX or SPDX 2.x JSON.
    #[arg(
        long,
        help_heading = "Inputs (instead of the inventory)",
        value_name = "FILE"
    )]
    sbom: Vec<PathBuf>,
    /// OSV advisories: a zip, a directory or one JSON record (repeatable). Without it, the
    /// inventory's feeds are used.
    #[arg(
        long,
        help_heading = "Inputs (instead of the inventory)",
        value_name = "PATH"
    )]
    osv: Vec<PathBuf>,
    /// Exit 1 when a finding's decision is at or above this: track, track*, attend, act.
    #[arg(long, value_name = "DECISION", value_parser = parse_decision)]
    fail_on: Option<Decision>,
    #[command(flatten)]
    fresh: super::feeds::FreshArgs,
}

fn parse_distro(s: &str) -> std::result::Result<Distro, String> {
    s.parse()
}

/// Pretty JSON with a final newline.
fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("reports serialise") + "\n"
}

pub fn parse_decision(s: &str) -> std::result::Result<Decision, String> {
    Decision::parse(s)
        .ok_or_else(|| format!("unknown decision `{s}`: expected track, track*, attend or act"))
}

pub fn run(cli: &Cli, args: &ScanArgs) -> Result<Outcome> {
    let adhoc = !args.lockfile.is_empty() || !args.sbom.is_empty();
    let host_flags = args.distro.is_some() || args.os_release.is_some() || args.ubuntu_pro;
    if host_flags && !adhoc {
        return Err(Error::Usage(
            "`--distro`, `--os-release` and `--ubuntu-pro` describe the host of the package lists \
             given with `--lockfile` or `--sbom`; an inventory's environments say it with `distro` \
             and `ubuntu_pro`"
                .into(),
        ));
    }
    let inventory = if !adhoc || args.osv.is_empty() {
        Some(crate::inventory::load(&cli.inventory)?)
    } else {
        None
    };
    let mut warnings = match &inventory {
        Some(inv) if args.osv.is_empty() => super::feeds::refresh(cli, inv, &args.fresh),
        _ => Vec::new(),
    };
    let targets = match &inventory {
        Some(inv) if !adhoc => {
            warnings.extend(inv.warnings.iter().cloned());
            crate::plan::targets(inv)
        }
        _ => input_targets(args, &mut warnings)?,
    };
    let feeds = load_feeds(cli, inventory.as_ref(), &args.osv, &targets)?;
    super::feeds::require_fresh(&feeds, &args.fresh)?;
    let matches = matching::match_targets(&targets, &feeds);
    warnings.extend(feeds.warning_lines());
    warnings.extend(matches.warnings.iter().cloned());
    let coverage = matching::coverage(&targets, &feeds);
    warnings.extend(matching::coverage_warnings(&targets, &feeds));
    let policy = inventory
        .as_ref()
        .map(|i| i.policy.clone())
        .unwrap_or_default();
    let now = cli.now();
    let findings = match &inventory {
        Some(inv) if !adhoc => inventory_findings(inv, &feeds, &matches, now, &mut warnings),
        _ => adhoc_findings(&targets, &feeds, &matches, &policy, now, &mut warnings),
    };
    warn(cli, &warnings);
    let report = ScanReport {
        schema: "patchplan.scan/v1",
        findings,
        coverage: &coverage,
        warnings: &warnings,
    };
    let advisories = &feeds.advisories;
    match cli.output {
        Output::Json => print(&json_text(&report))?,
        Output::Sarif => print(&json_text(&crate::export::sarif::build(
            &report, advisories,
        )))?,
        Output::Cyclonedx => print(&json_text(&crate::export::cyclonedx::build(
            &report, &targets, advisories, now,
        )))?,
        Output::Markdown => print(&crate::export::markdown::render(&report, advisories))?,
        Output::Table if !cli.quiet => print(&super::color::paint_table(&render_table(&report)))?,
        Output::Table => {}
    }
    if let Some(missing) = args.fail_on.and_then(|_| uncovered(&coverage)) {
        return Ok(Outcome::Unchecked(missing));
    }
    let failed = args.fail_on.is_some_and(|t| {
        report
            .findings
            .iter()
            .any(|f| f.status == Status::Open && f.decision >= t)
    });
    Ok(if failed {
        Outcome::FindingsAtThreshold
    } else {
        Outcome::Done
    })
}

fn load_feeds(
    cli: &Cli,
    inventory: Option<&Inventory>,
    osv: &[PathBuf],
    targets: &[Target],
) -> Result<Feeds> {
    let mut feeds = match inventory {
        Some(inv) if osv.is_empty() => {
            let cache = super::feeds::cache(cli);
            crate::plan::load_feeds(inv, Some(targets), &cache, cli.now())?
        }
        _ => Feeds::for_packages(matching::package_keys(targets)),
    };
    for (i, path) in osv.iter().enumerate() {
        if !path.exists() {
            return Err(Error::input(path, "no such file or directory (--osv)"));
        }
        let spec = FeedSpec {
            id: format!("osv-{}", i + 1),
            kind: FeedKind::Osv,
            source: path.display().to_string(),
        };
        feeds.load_one(&spec)?;
        let loaded = feeds
            .snapshots
            .last()
            .map_or(0, |s| s.records + s.withdrawn);
        if loaded == 0 {
            // What was wrong with what is there, before saying that nothing usable was.
            warn(cli, &feeds.warning_lines());
            return Err(Error::input(
                path,
                "no OSV advisory records here (--osv expects an OSV zip export, a directory of OSV JSON records or one record); nothing could be checked",
            ));
        }
    }
    Ok(feeds)
}

/// One target per `--lockfile` and `--sbom`, named by the path as given.
fn input_targets(args: &ScanArgs, warnings: &mut Vec<String>) -> Result<Vec<Target>> {
    let distro = match &args.os_release {
        Some(path) => Some(crate::inputs::read_os_release(path)?),
        None => args.distro.clone(),
    };
    let host = Host {
        distro,
        pro: args.ubuntu_pro,
    };
    let lockfiles = args.lockfile.iter().map(|p| (p, Kind::Lockfile));
    let sboms = args.sbom.iter().map(|p| (p, Kind::Sbom));
    lockfiles
        .chain(sboms)
        .map(|(path, kind)| {
            let inputs = kind.read(path, &host)?;
            warnings.extend(inputs.warnings);
            let components = inputs
                .packages
                .into_iter()
                .map(|p| {
                    let binaries = p.os.map(|os| os.binaries).unwrap_or_default();
                    std::sync::Arc::new(TargetComponent {
                        also_named: PackageFormat::advisory_names(&p.ecosystem, &p.name, &binaries),
                        ecosystem: p.ecosystem,
                        name: p.name,
                        version: p.version,
                    })
                })
                .collect();
            Ok(Target {
                id: path.display().to_string(),
                components,
            })
        })
        .collect()
}

/// With `--fail-on`, components that nothing checked make a clean result a lie: which
/// ecosystems, if any.
pub fn uncovered(coverage: &[matching::Coverage]) -> Option<String> {
    let missing: Vec<String> = coverage
        .iter()
        .filter(|c| !c.checked)
        .map(|c| format!("{} ({} components)", c.ecosystem, c.components))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "--fail-on: no loaded advisory feed covers {}: those components were not checked, so a clean result cannot be given; add a feed for them",
            missing.join(", ")
        )
    })
}

/// The inventory's findings ranked and given their status (VEX, exceptions) and upgrade exactly
/// as `plan` would, in match order.
fn inventory_findings<'a>(
    inv: &Inventory,
    feeds: &Feeds,
    matches: &'a matching::Matches,
    now: chrono::DateTime<chrono::Utc>,
    warnings: &mut Vec<String>,
) -> Vec<ScanFinding<'a>> {
    let found = matches.findings.clone();
    let ranked = crate::plan::rank(
        inv,
        feeds,
        found,
        &matches.upgrades,
        now,
        &History::default(),
        warnings,
    );
    let ranked_findings = &ranked.findings;
    let in_match_order = (ranked.positions.iter()).map(|&p| &ranked_findings[p as usize]);
    matches
        .findings
        .iter()
        .zip(in_match_order)
        .map(|(f, p)| {
            let risk = &ranked.assessments[p.assessment as usize];
            let (env, component) = p.place();
            ScanFinding {
                finding: f,
                status: p.status,
                recommended: p.recommended.as_deref().cloned(),
                cvss: risk.cvss.clone(),
                decision: risk.decision,
                score: risk.score,
                origin: origin_path(inv, env, component),
                exception: p.exception().cloned(),
                vex: p.vex().cloned(),
            }
        })
        .collect()
}

/// The file that declared an environment's component: its lockfile or SBOM (relative to the
/// inventory), the environment's own file, or its stack's file.
fn origin_path(inv: &Inventory, env: usize, component: usize) -> Option<PathBuf> {
    let env = inv.environments.get(env)?;
    let origin = &env.components.get(component)?.origin;
    let candidates = match origin.strip_prefix("stack ") {
        Some(stack) => vec![inv.root.join("stacks").join(format!("{stack}.toml"))],
        None => vec![PathBuf::from(origin), inv.root.join(origin)],
    };
    let fallback = inv
        .root
        .join("environments")
        .join(format!("{}.toml", env.id));
    candidates
        .into_iter()
        .chain([fallback])
        .find(|p| p.is_file())
}

/// Lockfile and SBOM findings, each ranked as an internet-exposed, medium-criticality,
/// standard-tier environment's; each component's upgrade chosen for its most urgent findings.
fn adhoc_findings<'a>(
    targets: &[Target],
    feeds: &Feeds,
    matches: &'a matching::Matches,
    policy: &crate::inventory::Policy,
    now: chrono::DateTime<chrono::Utc>,
    warnings: &mut Vec<String>,
) -> Vec<ScanFinding<'a>> {
    // Invalid vectors, once per record however many targets it is found in.
    let mut record_warnings = std::collections::BTreeSet::new();
    let mut findings: Vec<ScanFinding> = matches
        .findings
        .iter()
        .map(|f| {
            let a = risk::assess(f, feeds, risk::ADHOC, policy, now);
            record_warnings.extend(a.warnings);
            let status = match f.informational {
                Some(_) => Status::Informational,
                None => Status::Open,
            };
            ScanFinding {
                finding: f,
                status,
                recommended: None,
                cvss: a.cvss,
                decision: a.decision,
                score: a.score,
                origin: Some(PathBuf::from(&*f.target)),
                exception: None,
                vex: None,
            }
        })
        .collect();
    warnings.extend(record_warnings);
    let index: std::collections::HashMap<&str, usize> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let mut groups: std::collections::BTreeMap<(usize, usize), Vec<usize>> = Default::default();
    for (i, f) in findings.iter().enumerate() {
        let t = index[f.finding.target.as_str()];
        groups
            .entry((t, f.finding.component as usize))
            .or_default()
            .push(i);
    }
    for (key, members) in groups {
        let Some(upgrade) = matches.upgrades.get(&key) else {
            continue;
        };
        let fixable: Vec<(&str, _)> = members
            .iter()
            .map(|&m| &findings[m])
            .filter(|f| f.status == Status::Open && f.finding.fixed.is_some())
            .map(|f| (&*f.finding.advisory, risk::urgency(f.decision, f.score)))
            .collect();
        let to = upgrade.choose(&fixable).map(|c| c.version.to_string());
        for m in members {
            findings[m].recommended = to.clone();
        }
    }
    findings
}

fn render_table(report: &ScanReport) -> String {
    if report.findings.is_empty() {
        return "no findings\n".into();
    }
    let rows: Vec<Vec<String>> = report
        .findings
        .iter()
        .map(|f| {
            let x = f.finding;
            vec![
                x.target.to_string(),
                x.package.clone(),
                x.version.clone(),
                x.advisory.to_string(),
                x.informational
                    .clone()
                    .unwrap_or_else(|| f.decision.as_str().to_string()),
                x.fixed.clone().unwrap_or_else(|| "-".into()),
                f.recommended.as_deref().unwrap_or("no fix").to_string(),
            ]
        })
        .collect();
    let vulns = report
        .findings
        .iter()
        .filter(|f| f.finding.informational.is_none())
        .count();
    let mut out = table::render(
        &[
            "TARGET",
            "PACKAGE",
            "VERSION",
            "ADVISORY",
            "DECISION",
            "FIXED",
            "UPGRADE TO",
        ],
        &rows,
    );
    out.push_str(&format!(
        "\n{} findings ({} vulnerabilities, {} informational)\n",
        rows.len(),
        vulns,
        rows.len() - vulns
    ));
    out
}
