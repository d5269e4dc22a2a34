//! OpenVEX documents (spec v0.2.0) listed in patchplan.toml's `vex`: statements by a supplier or
//! the operator that a vulnerability does not affect a product (`not_affected`, with a
//! justification or an impact statement), is `fixed` in it, `affected` or `under_investigation`.
//!
//! A product is named by its `@id` (or `identifiers.purl`):
//! - a purl (`pkg:cargo/h2`, `pkg:cargo/h2@0.4.6`) is that component in every environment (only
//!   at that installed version, if the purl has one);
//! - anything else is an environment id (`hudson-selfcare`): every component of it.
//!
//! `subcomponents` (purls) narrow a product to those components: inside an environment, or inside
//! every environment that runs the product's purl. Documents are read at load time so that
//! `validate` reports a bad one at its line and column; positions come from `RawValue` slices of
//! the file's text, since serde_json keeps no spans.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use toml::Spanned;

use super::model::{Component, Environment};
use crate::diag::{Diagnostic, Source};
use crate::purl;
use crate::version::{Scheme, canonical_ecosystem, canonical_name, ecosystem_base};

/// A VEX status (OpenVEX 0.2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }

    /// `not_affected` and `fixed` take the finding out of the plan.
    pub fn suppresses(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }
}

/// Why a product is `not_affected` (OpenVEX 0.2.0's five justifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Justification {
    ComponentNotPresent,
    VulnerableCodeNotPresent,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsAlreadyExist,
}

impl Justification {
    pub fn as_str(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent => "component_not_present",
            Justification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            Justification::VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            Justification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            Justification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }
}

/// One statement, as the plan and `explain` show it.
#[derive(Debug, Clone, Serialize)]
pub struct VexStatement {
    /// `path:line:col` of the statement, the path relative to the inventory.
    pub location: String,
    /// The vulnerability's `name`.
    pub vulnerability: String,
    /// The name and every alias, as findings are matched by them.
    #[serde(skip)]
    pub names: Vec<String>,
    /// The products' `@id`s as written.
    pub products: Vec<String>,
    #[serde(skip)]
    pub scopes: Vec<Product>,
    pub status: VexStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<Justification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    /// The statement's timestamp, else its document's: the latest statement wins.
    pub timestamp: Option<DateTime<Utc>>,
}

impl VexStatement {
    /// Whether it speaks of a vulnerability with any of `ids` in `env`'s component `comp`.
    pub fn covers<'a>(
        &self,
        mut ids: impl Iterator<Item = &'a str>,
        env: &Environment,
        comp: &Component,
    ) -> bool {
        ids.any(|id| self.names.iter().any(|n| n == id))
            && self.scopes.iter().any(|p| p.covers(env, comp))
    }
}

/// A product, resolved.
#[derive(Debug, Clone)]
pub struct Product {
    scope: Scope,
    subcomponents: Vec<ComponentRef>,
}

#[derive(Debug, Clone)]
enum Scope {
    Environment(String),
    Component(ComponentRef),
}

impl Product {
    fn covers(&self, env: &Environment, comp: &Component) -> bool {
        let inside = match &self.scope {
            Scope::Environment(id) => *id == env.id,
            Scope::Component(p) if self.subcomponents.is_empty() => return p.matches(comp),
            Scope::Component(p) => env.components.iter().any(|c| p.matches(c)),
        };
        inside
            && (self.subcomponents.is_empty() || self.subcomponents.iter().any(|s| s.matches(comp)))
    }
}

/// A component named by a purl.
#[derive(Debug, Clone)]
struct ComponentRef {
    ecosystem: String,
    name: String,
    version: Option<String>,
}

impl ComponentRef {
    fn parse(text: &str) -> Result<ComponentRef, String> {
        let p = purl::parse(text)?;
        let ecosystem = canonical_ecosystem(&p.ecosystem);
        Ok(ComponentRef {
            name: canonical_name(&ecosystem, &p.name),
            ecosystem,
            version: p.version,
        })
    }

    fn matches(&self, c: &Component) -> bool {
        ecosystem_base(&self.ecosystem) == ecosystem_base(&c.ecosystem)
            && self.name == c.name
            && self
                .version
                .as_ref()
                .is_none_or(|v| same_version(&c.ecosystem, v, &c.version))
    }
}

/// Equal by the ecosystem's precedence (`v1.2.0` is `1.2.0` in Go), else as text.
fn same_version(ecosystem: &str, a: &str, b: &str) -> bool {
    let scheme = Scheme::for_ecosystem(ecosystem);
    match (scheme.parse(a), scheme.parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Reads every document the `vex` patterns name (relative to `root`), in path order. Problems
/// in a document are diagnostics at their position; a pattern that matches nothing is a warning.
pub(crate) fn load(
    root: &Path,
    config: &Source,
    patterns: &[Spanned<String>],
    env_ids: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<String>,
) -> Vec<VexStatement> {
    let mut paths = BTreeSet::new();
    for pattern in patterns {
        paths.extend(expand(root, config, pattern, diags, warnings));
    }
    let mut out = Vec::new();
    for path in paths {
        match crate::files::read_to_string(&path) {
            Ok(text) => {
                let src = Source::new(&path, text);
                let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                out.extend(document(&src, &shown, env_ids, diags));
            }
            Err(e) => diags.push(Source::whole(
                &path,
                format!("cannot read VEX document: {e}"),
            )),
        }
    }
    out
}

fn expand(
    root: &Path,
    config: &Source,
    pattern: &Spanned<String>,
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<String>,
) -> Vec<PathBuf> {
    let text = pattern.get_ref();
    // The inventory's own path is literal, whatever characters it holds.
    let root_pattern = glob::Pattern::escape(&root.to_string_lossy());
    let full = Path::new(&root_pattern).join(text);
    let found: Vec<PathBuf> = match glob::glob(&full.to_string_lossy()) {
        Ok(paths) => paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => {
            let message = format!("invalid vex pattern `{text}`: {}", e.msg);
            diags.push(config.at(pattern.span(), message));
            return Vec::new();
        }
    };
    let wildcard = text.contains(['*', '?', '[']);
    if found.is_empty() && !wildcard {
        let message = format!(
            "VEX document `{text}` does not exist (relative to {})",
            root.display()
        );
        diags.push(config.at(pattern.span(), message));
    } else if found.is_empty() {
        warnings.push(format!("vex pattern `{text}` matches no file"));
    }
    found
}

#[derive(Deserialize)]
struct RawDocument<'a> {
    #[serde(rename = "@context", borrow)]
    context: &'a RawValue,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(default, borrow)]
    statements: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawStatement<'a> {
    #[serde(borrow)]
    vulnerability: &'a RawValue,
    timestamp: Option<String>,
    #[serde(default, borrow)]
    products: Vec<&'a RawValue>,
    status: VexStatus,
    justification: Option<Justification>,
    impact_statement: Option<String>,
    action_statement: Option<String>,
    status_notes: Option<String>,
}

#[derive(Deserialize)]
struct RawVulnerability {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
struct RawProduct<'a> {
    #[serde(rename = "@id")]
    id: Option<String>,
    identifiers: Option<RawIdentifiers>,
    #[serde(default, borrow)]
    subcomponents: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawIdentifiers {
    purl: Option<String>,
}

/// The statements of one document; every problem is a diagnostic.
fn document(
    src: &Source,
    shown: &Path,
    env_ids: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<VexStatement> {
    let doc: RawDocument = match src.parse_json_part(&src.text) {
        Ok(d) => d,
        Err(d) => {
            diags.push(d);
            return Vec::new();
        }
    };
    let context: Option<String> = src.parse_json_part(doc.context.get()).ok();
    if !context.is_some_and(|c| c.starts_with("https://openvex.dev/ns")) {
        let message = "not an OpenVEX document: `@context` must be https://openvex.dev/ns/v0.2.0";
        diags.push(at(src, doc.context, message));
        return Vec::new();
    }
    let stamp = match document_timestamp(src, doc.timestamp) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return Vec::new();
        }
    };
    let cx = DocContext {
        src,
        shown,
        env_ids,
        timestamp: stamp,
    };
    doc.statements
        .iter()
        .filter_map(|raw| cx.statement(raw).map_err(|d| diags.push(d)).ok())
        .collect()
}

/// A diagnostic at the start of `raw`, a slice of `src`.
fn at(src: &Source, raw: &RawValue, message: impl Into<String>) -> Diagnostic {
    let offset = src.offset_of(raw.get());
    src.at(offset..offset, message)
}

/// The document's `timestamp`, which statements without one inherit.
fn document_timestamp(
    src: &Source,
    raw: Option<&RawValue>,
) -> Result<Option<DateTime<Utc>>, Diagnostic> {
    let Some(raw) = raw else { return Ok(None) };
    let text: String = src.parse_json_part(raw.get())?;
    timestamp(&text).map(Some).map_err(|e| at(src, raw, e))
}

fn timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("invalid timestamp `{text}`: {e} (expected RFC 3339)"))
}

struct DocContext<'a> {
    src: &'a Source,
    shown: &'a Path,
    env_ids: &'a HashSet<String>,
    timestamp: Option<DateTime<Utc>>,
}

impl DocContext<'_> {
    fn statement(&self, raw: &RawValue) -> Result<VexStatement, Diagnostic> {
        let s: RawStatement = self.src.parse_json_part(raw.get())?;
        let fail = |message: String| at(self.src, raw, message);
        let (vulnerability, names) = self.vulnerability(s.vulnerability)?;
        if s.products.is_empty() {
            return Err(fail(format!(
                "statement on {vulnerability} names no products"
            )));
        }
        if s.status == VexStatus::NotAffected
            && s.justification.is_none()
            && s.impact_statement.is_none()
        {
            return Err(fail(format!(
                "statement on {vulnerability}: not_affected needs a justification or an impact_statement"
            )));
        }
        let stamp = match &s.timestamp {
            Some(t) => Some(timestamp(t).map_err(fail)?),
            None => self.timestamp,
        };
        let (products, scopes) = s
            .products
            .iter()
            .map(|p| self.product(p))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip();
        let (line, col) = self.src.locate(self.src.offset_of(raw.get()));
        Ok(VexStatement {
            location: format!("{}:{line}:{col}", self.shown.display()),
            vulnerability,
            names,
            products,
            scopes,
            status: s.status,
            justification: s.justification,
            impact_statement: s.impact_statement,
            action_statement: s.action_statement,
            status_notes: s.status_notes,
            timestamp: stamp,
        })
    }

    /// The vulnerability's name and all its names: an object (0.2.0) or a bare name (0.0.x).
    fn vulnerability(&self, raw: &RawValue) -> Result<(String, Vec<String>), Diagnostic> {
        if raw.get().starts_with('"') {
            let name: String = self.src.parse_json_part(raw.get())?;
            return Ok((name.clone(), vec![name]));
        }
        let v: RawVulnerability = self.src.parse_json_part(raw.get())?;
        let mut names = vec![v.name.clone()];
        names.extend(v.aliases);
        Ok((v.name, names))
    }

    /// A product's `@id` as written and what it covers.
    fn product(&self, raw: &RawValue) -> Result<(String, Product), Diagnostic> {
        let p: RawProduct = self.src.parse_json_part(raw.get())?;
        let id = identity(&p).ok_or_else(|| {
            at(
                self.src,
                raw,
                "a product needs an `@id` or `identifiers.purl`",
            )
        })?;
        let scope = if id.starts_with("pkg:") {
            Scope::Component(ComponentRef::parse(&id).map_err(|e| at(self.src, raw, e))?)
        } else if self.env_ids.contains(&id) {
            Scope::Environment(id.clone())
        } else {
            let message = format!(
                "product `{id}` is neither a purl (pkg:...) nor an environment of this inventory"
            );
            return Err(at(self.src, raw, message));
        };
        let subcomponents = p
            .subcomponents
            .iter()
            .map(|s| self.subcomponent(s))
            .collect::<Result<_, _>>()?;
        Ok((
            id,
            Product {
                scope,
                subcomponents,
            },
        ))
    }

    fn subcomponent(&self, raw: &RawValue) -> Result<ComponentRef, Diagnostic> {
        let p: RawProduct = self.src.parse_json_part(raw.get())?;
        let id = identity(&p)
            .filter(|id| id.starts_with("pkg:"))
            .ok_or_else(|| at(self.src, raw, "a subcomponent is named by a purl (pkg:...)"))?;
        ComponentRef::parse(&id).map_err(|e| at(self.src, raw, e))
    }
}

/// `identifiers.purl`, else `@id`.
fn identity(p: &RawProduct) -> Option<String> {
    p.identifiers
        .as_ref()
        .and_then(|i| i.purl.clone())
        .or_else(|| p.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Duration;
    use crate::inventory::{Criticality, Exposure, Restart};

    fn component(ecosystem: &str, name: &str, version: &str) -> Component {
        Component {
            ecosystem: ecosystem.into(),
            name: name.into(),
            version: version.into(),
            patch_minutes: 15,
            restart: Restart::Service,
            downtime_minutes: 0,
            binaries: Vec::new(),
            restart_why: None,
            origin: String::new(),
        }
    }

    fn environment(id: &str, components: Vec<Component>) -> Environment {
        Environment {
            id: id.into(),
            customer: "c".into(),
            name: id.into(),
            exposure: Exposure::Internet,
            criticality: Criticality::High,
            after: None,
            soak: Duration::ZERO,
            windows: Vec::new(),
            components: components.into_iter().map(std::sync::Arc::new).collect(),
        }
    }

    /// Whether a statement with `products` (JSON) covers CVE-1 in `env`'s component `comp`.
    fn case(products: &str, env: &Environment, comp: usize, covered: bool) {
        let text = format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{{
                "vulnerability": {{"name": "GHSA-1", "aliases": ["CVE-1"]}},
                "products": {products}, "status": "fixed"}}]}}"#
        );
        let src = Source::new("v.json", text);
        let ids: HashSet<String> = ["prod".to_string(), "lab".to_string()].into();
        let mut diags = Vec::new();
        let statements = document(&src, Path::new("v.json"), &ids, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let ids = ["RUSTSEC-1", "CVE-1"];
        let got = statements[0].covers(ids.into_iter(), env, &env.components[comp]);
        assert_eq!(
            got, covered,
            "{products} on {} {}",
            env.id, env.components[comp].name
        );
    }

    #[test]
    fn products_name_components_environments_and_subcomponents() {
        let prod = environment(
            "prod",
            vec![
                component("crates.io", "h2", "0.4.6"),
                component("Go", "example.com/radiusd", "v2.4.0"),
                component("Go", "golang.org/x/net", "v0.38.0"),
            ],
        );
        let lab = environment("lab", vec![component("crates.io", "h2", "0.4.7")]);
        case(r#"[{"@id": "pkg:cargo/h2"}]"#, &prod, 0, true);
        case(r#"[{"@id": "pkg:cargo/h2"}]"#, &lab, 0, true);
        case(r#"[{"@id": "pkg:cargo/h2@0.4.6"}]"#, &lab, 0, false);
        case(
            r#"[{"@id": "x", "identifiers": {"purl": "pkg:cargo/h2@0.4.6"}}]"#,
            &prod,
            0,
            true,
        );
        case(r#"[{"@id": "pkg:npm/h2"}]"#, &prod, 0, false);
        case(r#"[{"@id": "prod"}]"#, &prod, 2, true);
        case(r#"[{"@id": "prod"}]"#, &lab, 0, false);
        let sub = r#"[{"@id": "prod", "subcomponents": [{"@id": "pkg:golang/golang.org/x/net@0.38.0"}]}]"#;
        case(sub, &prod, 2, true);
        case(sub, &prod, 0, false);
        let built = r#"[{"@id": "pkg:golang/example.com/radiusd", "subcomponents": [{"@id": "pkg:golang/golang.org/x/net"}]}]"#;
        case(built, &prod, 2, true);
        case(built, &prod, 1, false);
        let elsewhere = environment("lab", vec![component("Go", "golang.org/x/net", "v0.38.0")]);
        case(built, &elsewhere, 0, false);
    }

    #[test]
    fn the_vulnerability_may_be_a_bare_name() {
        let src = Source::new(
            "v.json",
            r#"{"@context": "https://openvex.dev/ns/v0.0.1", "timestamp": "2026-01-01T00:00:00Z",
                "statements": [{"vulnerability": "CVE-1", "products": [{"@id": "pkg:cargo/h2"}],
                "status": "under_investigation"}]}"#
                .into(),
        );
        let mut diags = Vec::new();
        let s = document(&src, Path::new("v.json"), &HashSet::new(), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            (s[0].names.as_slice(), s[0].location.as_str()),
            (&["CVE-1".to_string()][..], "v.json:2:32")
        );
        assert_eq!(s[0].timestamp, "2026-01-01T00:00:00Z".parse().ok());
    }
}
