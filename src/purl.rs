//! Package URLs (`pkg:type/namespace/name@version`) into an OSV ecosystem, name and version.
//! Hand-written: only the parts matching needs (type, namespace, name, version) are read, and
//! the `packageurl` crate would add nothing for them.

/// The ecosystem, name and version a purl names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ecosystem: String,
    pub name: String,
    pub version: Option<String>,
    /// `?key=value&...`, keys lower-cased, values decoded.
    pub qualifiers: Vec<(String, String)>,
}

impl Purl {
    /// The value of qualifier `key`, if given.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a purl. Unknown types keep their type as the ecosystem.
pub fn parse(text: &str) -> Result<Purl, String> {
    let rest = text
        .strip_prefix("pkg:")
        .ok_or_else(|| format!("`{text}` is not a package URL: it must start with `pkg:`"))?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let (rest, qualifiers) = match rest.split_once('?') {
        Some((r, q)) => (r, qualifiers(q)),
        None => (rest, Vec::new()),
    };
    let (path, version) = match rest.rsplit_once('@') {
        Some((p, v)) if !p.is_empty() => (p, Some(decode(v))),
        _ => (rest, None),
    };
    let (kind, path) = path
        .split_once('/')
        .ok_or_else(|| format!("`{text}` has no package name"))?;
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let Some((name, namespace)) = segments.split_last() else {
        return Err(format!("`{text}` has no package name"));
    };
    let kind = kind.to_ascii_lowercase();
    let ecosystem = match kind.as_str() {
        "cargo" => "crates.io",
        "npm" => "npm",
        "golang" => "Go",
        "pypi" => "PyPI",
        "maven" => "Maven",
        "nuget" => "NuGet",
        "gem" => "RubyGems",
        "composer" => "Packagist",
        "hex" => "Hex",
        "pub" => "Pub",
        "deb"
            if namespace
                .first()
                .is_some_and(|n| n.eq_ignore_ascii_case("ubuntu")) =>
        {
            "Ubuntu"
        }
        "deb" => "Debian",
        "apk" => "Alpine",
        other => other,
    };
    let joiner = if ecosystem == "Maven" { ":" } else { "/" };
    let full = if namespace.is_empty() || matches!(ecosystem, "Debian" | "Ubuntu" | "Alpine") {
        name.clone()
    } else {
        format!("{}{joiner}{name}", namespace.join("/"))
    };
    Ok(Purl {
        ecosystem: ecosystem.to_string(),
        name: full,
        version,
        qualifiers,
    })
}

/// The purl of a component: the inverse of [`parse`] for the ecosystems it knows; an unknown
/// ecosystem (an in-house `wispgate`) is `pkg:generic/NAME@VERSION?ecosystem=ECOSYSTEM`.
pub fn build(ecosystem: &str, name: &str, version: &str) -> String {
    let base = crate::version::ecosystem_base(ecosystem);
    let kind = match base {
        "crates.io" => "cargo",
        "npm" => "npm",
        "Go" => "golang",
        "PyPI" => "pypi",
        "Maven" => "maven",
        "NuGet" => "nuget",
        "RubyGems" => "gem",
        "Packagist" => "composer",
        "Hex" => "hex",
        "Pub" => "pub",
        "Debian" => "deb/debian",
        "Ubuntu" => "deb/ubuntu",
        "Alpine" => "apk/alpine",
        _ => "generic",
    };
    let path = match base {
        "Maven" => name.replacen(':', "/", 1),
        _ => name.to_string(),
    };
    let path: Vec<String> = path.split('/').map(encode).collect();
    let mut out = format!("pkg:{kind}/{}@{}", path.join("/"), encode(version));
    if kind == "generic" {
        out.push_str(&format!("?ecosystem={}", encode(ecosystem)));
    } else if let Some((_, release)) = ecosystem.split_once(':') {
        out.push_str(&format!("?distro={}", encode(release)));
    }
    out
}

/// Percent-encodes everything but unreserved characters (purl spec).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn qualifiers(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_ascii_lowercase(), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(purl: &str, ecosystem: &str, name: &str, version: Option<&str>) {
        let p = parse(purl).unwrap();
        assert_eq!(
            (p.ecosystem.as_str(), p.name.as_str(), p.version.as_deref()),
            (ecosystem, name, version),
            "{purl}"
        );
    }

    #[test]
    fn builds_purls_that_read_back() {
        for (eco, name, version) in [
            ("crates.io", "h2", "0.4.6"),
            ("npm", "@angular/core", "16.0.0+b.1"),
            ("Go", "golang.org/x/net", "v0.38.0"),
            ("Maven", "org.apache:commons-text", "1.9"),
            ("Debian:12", "openssl", "3.0.11-1~deb12u2"),
        ] {
            let p = parse(&build(eco, name, version)).unwrap();
            let read = (p.ecosystem.as_str(), p.name.as_str(), p.version.as_deref());
            assert_eq!(
                read,
                (crate::version::ecosystem_base(eco), name, Some(version))
            );
        }
        assert_eq!(
            build("wispgate", "wispgate-core", "7.2.1"),
            "pkg:generic/wispgate-core@7.2.1?ecosystem=wispgate"
        );
    }

    #[test]
    fn reads_common_purls() {
        case(
            "pkg:cargo/smallvec@1.6.0",
            "crates.io",
            "smallvec",
            Some("1.6.0"),
        );
        case(
            "pkg:npm/%40angular/core@16.0.0",
            "npm",
            "@angular/core",
            Some("16.0.0"),
        );
        case(
            "pkg:golang/golang.org/x/net@v0.17.0",
            "Go",
            "golang.org/x/net",
            Some("v0.17.0"),
        );
        case(
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            Some("2.14.1"),
        );
        case(
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64",
            "Debian",
            "openssl",
            Some("3.0.11-1~deb12u2"),
        );
        case(
            "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?arch=amd64",
            "Ubuntu",
            "openssl",
            Some("3.0.2-0ubuntu1.10"),
        );
        case("pkg:pypi/django", "PyPI", "django", None);
        let p = parse("pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc%402.36-9").unwrap();
        assert_eq!(p.qualifier("upstream"), Some("glibc@2.36-9"));
        assert_eq!(p.qualifier("distro"), None);
        assert!(parse("cargo/smallvec").is_err());
        assert!(parse("pkg:cargo").is_err());
    }
}
