//! `go.sum`: one `module version[/go.mod] hash` line per checksum.
//!
//! A module appears once for its `go.mod` checksum (`v1.2.3/go.mod`) and once for its source
//! (`v1.2.3`), and go.sum also keeps the `go.mod` checksums of older versions that minimal
//! version selection looked at but did not pick. The build uses the highest version of each
//! module, so that is the one kept: the older ones would be findings for code that is not built.
//! Versions keep their leading `v` and any `+incompatible`.

use std::collections::HashMap;

use super::{Inputs, Package};
use crate::diag::Source;
use crate::error::{Error, Result};
use crate::version::Scheme;

/// The modules of a go.sum, each at its highest version.
pub fn parse(source: &Source) -> Result<Inputs> {
    let mut highest: Vec<Package> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut diags = Vec::new();
    let mut offset = 0;
    for line in source.text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (module, version) = match fields[..] {
            [] => continue,
            [module, version, hash] if hash.contains(':') => (module, version),
            _ => {
                let message = "expected `module version hash`, as `go mod tidy` writes go.sum";
                diags.push(source.at(at..at, message));
                continue;
            }
        };
        let version = version.strip_suffix("/go.mod").unwrap_or(version);
        match index.get(module) {
            Some(&i) if !is_higher(version, &highest[i].version) => {}
            Some(&i) => highest[i].version = version.to_string(),
            None => {
                index.insert(module.to_string(), highest.len());
                highest.push(Package::new("Go", module, version));
            }
        }
    }
    if diags.is_empty() {
        Ok(highest.into())
    } else {
        Err(Error::Invalid(diags))
    }
}

/// Whether `a` is a higher version than `b`; one that cannot be read wins, as go.sum lists a
/// module's versions in ascending order.
fn is_higher(a: &str, b: &str) -> bool {
    match (Scheme::SemVer.parse(a), Scheme::SemVer.parse(b)) {
        (Ok(a), Ok(b)) => a > b,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    fn parse_text(text: &str) -> Result<Inputs> {
        parse(&Source::new("go.sum", text.into()))
    }

    #[test]
    fn keeps_each_module_at_its_highest_version() {
        let text = "\
github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=
github.com/pkg/errors v0.9.1/go.mod h1:bwawxfHBFNV+L2hUp1rHADufV3IMtnDRdf1r5NINEl0=
golang.org/x/net v0.0.0-20190404232315-eb5bcb51f2a3/go.mod h1:t9HGtf8HONx5eT2rtn7q6eTqICYqUVnKs3thJo3Qplg=
golang.org/x/net v0.15.0 h1:ugBLEUaxABaB5AJqW9enI0ACdci2RUd4eP51NTBvuJ8=
golang.org/x/net v0.15.0/go.mod h1:idbUs1IY1+zTqbi8yxTbhexhEEk5ur9LInksu6HrEpk=
github.com/docker/docker v24.0.5+incompatible h1:WmgcE4fxyI6EEXxBRxsHnZXrO1pQUaVHUaj5bTl3bLI=
";
        assert_eq!(
            triples(&parse_text(text).unwrap()),
            [
                ("Go", "github.com/pkg/errors", "v0.9.1"),
                ("Go", "golang.org/x/net", "v0.15.0"),
                ("Go", "github.com/docker/docker", "v24.0.5+incompatible"),
            ]
        );
    }

    #[test]
    fn a_line_that_is_not_a_checksum_is_an_error() {
        let text = "golang.org/x/net v0.15.0 h1:ugBL=\n\ngolang.org/x/net v0.15.0\n";
        let err = parse_text(text).unwrap_err().to_string();
        assert!(
            err.starts_with("go.sum:3:1: expected `module version hash`"),
            "{err}"
        );
    }

    #[test]
    fn reads_the_fixture() {
        let inputs = read_lockfile(&fixture("go.sum"), &Host::default()).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("Go", "github.com/davecgh/go-spew", "v1.1.1"),
                ("Go", "github.com/docker/docker", "v24.0.5+incompatible"),
                ("Go", "github.com/gin-gonic/gin", "v1.9.1"),
                ("Go", "github.com/golang-jwt/jwt/v4", "v4.5.0"),
                ("Go", "github.com/google/uuid", "v1.3.1"),
                ("Go", "github.com/pkg/errors", "v0.9.1"),
                ("Go", "github.com/pmezard/go-difflib", "v1.0.0"),
                ("Go", "github.com/stretchr/testify", "v1.8.4"),
                ("Go", "golang.org/x/crypto", "v0.14.0"),
                ("Go", "golang.org/x/net", "v0.15.0"),
                ("Go", "golang.org/x/sys", "v0.13.0"),
                ("Go", "golang.org/x/text", "v0.13.0"),
                ("Go", "gopkg.in/yaml.v3", "v3.0.1"),
            ]
        );
    }
}
