//! The distribution release an OS package list belongs to, and the advisory ecosystem it is
//! matched against.
//!
//! An OS package is only meaningful against its own release's advisories: `openssl
//! 3.0.2-0ubuntu1.10` is vulnerable on Ubuntu 22.04 by Ubuntu's records and says nothing about
//! Debian's. So a package list is read *with* a release (`distro = "ubuntu:22.04"`, `scan
//! --distro`, or an `os-release` file), and its packages carry that release's OSV ecosystem:
//! `Ubuntu:22.04:LTS`, `Debian:12`, `Alpine:v3.20`, `AlmaLinux:9`, `Rocky Linux:9`. A host with
//! Ubuntu Pro gets `Ubuntu:Pro:22.04:LTS`, which matching also lets see `Ubuntu:22.04:LTS`
//! records (Pro adds to the release's fixes; it does not replace them).

use std::fmt;
use std::str::FromStr;

/// The package formats, each tied to the distributions that use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageFormat {
    Dpkg,
    Apk,
    Rpm,
}

impl PackageFormat {
    /// What the format's file is called in a message.
    pub fn noun(self) -> &'static str {
        match self {
            PackageFormat::Dpkg => "a dpkg status file",
            PackageFormat::Apk => "an apk installed database",
            PackageFormat::Rpm => "an `rpm -qa` listing",
        }
    }
}

impl PackageFormat {
    /// The format of an OS package ecosystem (`Ubuntu:22.04:LTS`, `Alpine:v3.20`, ...).
    pub fn of_ecosystem(ecosystem: &str) -> Option<PackageFormat> {
        match crate::version::ecosystem_base(ecosystem) {
            "Ubuntu" | "Debian" => Some(PackageFormat::Dpkg),
            "Alpine" => Some(PackageFormat::Apk),
            "AlmaLinux" | "Rocky Linux" | "Red Hat" => Some(PackageFormat::Rpm),
            _ => None,
        }
    }

    /// The names besides the source package's own that a release's advisories may give the
    /// packages built from it: AlmaLinux's (converted from errata, whose package lists name
    /// binary RPMs) and Rocky's name binary packages, so an RPM host's source package is also
    /// looked up by its binaries; Ubuntu's, Debian's and Alpine's name the source package only.
    pub fn advisory_names(ecosystem: &str, name: &str, binaries: &[String]) -> Vec<String> {
        match PackageFormat::of_ecosystem(ecosystem) {
            Some(PackageFormat::Rpm) => binaries.iter().filter(|b| *b != name).cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The command an operator pastes to upgrade `binaries` (what the host installed from one
    /// source package) to the source's version `to`. apt and apk install the newest candidate
    /// their sources offer, which is `to` or later once the fix is published (the task states
    /// `to` beside the command: a binary's own version can differ from its source's, as
    /// `bsdutils` 1:2.37.2 of util-linux 2.37.2 does); dnf takes `to` in each package's NEVRA.
    pub fn upgrade_command(self, binaries: &[String], to: &str) -> Option<String> {
        if binaries.is_empty() {
            return None;
        }
        Some(match self {
            PackageFormat::Dpkg => format!("apt-get install --only-upgrade {}", binaries.join(" ")),
            PackageFormat::Apk => format!("apk upgrade {}", binaries.join(" ")),
            PackageFormat::Rpm => {
                let nevras: Vec<String> = binaries.iter().map(|b| format!("{b}-{to}")).collect();
                format!("dnf upgrade {}", nevras.join(" "))
            }
        })
    }
}

/// A distribution family patchplan matches OS packages for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Ubuntu,
    Debian,
    Alpine,
    AlmaLinux,
    Rocky,
}

/// `(id as in os-release and inventories, family)`.
const FAMILIES: &[(&str, Family)] = &[
    ("ubuntu", Family::Ubuntu),
    ("debian", Family::Debian),
    ("alpine", Family::Alpine),
    ("almalinux", Family::AlmaLinux),
    ("rocky", Family::Rocky),
];

/// What `distro` accepts, for messages.
pub const EXPECTED: &str = "expected ID:VERSION with ID one of ubuntu, debian, alpine, \
almalinux, rocky (`ubuntu:22.04`, `debian:12`, `alpine:3.20`, `almalinux:9`, `rocky:9`)";

impl Family {
    pub fn id(self) -> &'static str {
        FAMILIES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("", |(id, _)| id)
    }

    pub fn format(self) -> PackageFormat {
        match self {
            Family::Ubuntu | Family::Debian => PackageFormat::Dpkg,
            Family::Alpine => PackageFormat::Apk,
            Family::AlmaLinux | Family::Rocky => PackageFormat::Rpm,
        }
    }
}

/// One distribution release, such as Ubuntu 22.04 with or without Pro.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Distro {
    pub family: Family,
    /// The release as advisories name it: `22.04`, `12`, `3.20`, `9`.
    pub release: String,
    /// Ubuntu Pro (ESM) is enabled: the host also receives `Ubuntu:Pro:` fixes.
    pub pro: bool,
}

impl Distro {
    /// The OSV ecosystem of this release's packages.
    pub fn ecosystem(&self) -> String {
        let r = &self.release;
        match self.family {
            Family::Ubuntu => {
                let lts = if is_lts(r) { ":LTS" } else { "" };
                let pro = if self.pro { "Pro:" } else { "" };
                format!("Ubuntu:{pro}{r}{lts}")
            }
            Family::Debian => format!("Debian:{r}"),
            Family::Alpine => format!("Alpine:v{r}"),
            Family::AlmaLinux => format!("AlmaLinux:{r}"),
            Family::Rocky => format!("Rocky Linux:{r}"),
        }
    }

    /// With Ubuntu Pro (an error for other distributions).
    pub fn with_pro(mut self, pro: bool) -> Result<Distro, String> {
        if pro && self.family != Family::Ubuntu {
            return Err(format!(
                "`ubuntu_pro` applies to Ubuntu only, not to `{self}`"
            ));
        }
        self.pro = pro;
        Ok(self)
    }

    /// Reads an `/etc/os-release` file's `ID` and `VERSION_ID`.
    pub fn from_os_release(text: &str) -> Result<Distro, String> {
        let mut id = None;
        let mut version = None;
        for line in text.lines() {
            let Some((key, value)) = line.trim().split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            match key.trim() {
                "ID" => id = Some(value.to_ascii_lowercase()),
                "VERSION_ID" => version = Some(value.to_string()),
                _ => {}
            }
        }
        match (id, version) {
            (Some(id), Some(version)) => format!("{id}:{version}").parse(),
            (None, _) => Err("no `ID=` line (expected an /etc/os-release file)".into()),
            (Some(id), None) => Err(format!("`ID={id}` but no `VERSION_ID=` line")),
        }
    }
}

/// Ubuntu's LTS releases are the April releases of even years.
fn is_lts(release: &str) -> bool {
    release
        .split_once('.')
        .and_then(|(y, m)| Some((y.parse::<u32>().ok()?, m)))
        .is_some_and(|(y, m)| y % 2 == 0 && m == "04")
}

impl FromStr for Distro {
    type Err = String;

    /// `ubuntu:22.04` (or `22.04.4`), `debian:12` (or `12.4`), `alpine:3.20` (or `3.20.3`), `almalinux:9`,
    /// `rocky:9.4`: a point release names its major release, as advisories do.
    fn from_str(text: &str) -> Result<Distro, String> {
        let bad = || format!("unknown distribution `{text}`: {EXPECTED}");
        let (id, version) = text.trim().split_once(':').ok_or_else(bad)?;
        let family = FAMILIES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(id.trim()))
            .map(|(_, f)| *f)
            .ok_or_else(bad)?;
        let version = version.trim().trim_start_matches(['v', 'V']);
        let parts: Vec<&str> = version.split('.').collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let release = match (family, parts.as_slice()) {
            (Family::Ubuntu, [y, m, ..]) => format!("{y}.{m}"),
            (Family::Alpine, [a, b, ..]) => format!("{a}.{b}"),
            (Family::Debian | Family::AlmaLinux | Family::Rocky, [major, ..]) => major.to_string(),
            _ => return Err(bad()),
        };
        Ok(Distro {
            family,
            release,
            pro: false,
        })
    }
}

impl fmt::Display for Distro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.family.id(), self.release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(text: &str, ecosystem: &str) {
        let d: Distro = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(d.ecosystem(), ecosystem, "{text}");
    }

    #[test]
    fn releases_name_their_advisory_ecosystems() {
        case("ubuntu:22.04", "Ubuntu:22.04:LTS");
        case("Ubuntu:24.04", "Ubuntu:24.04:LTS");
        case("ubuntu:22.04.4", "Ubuntu:22.04:LTS");
        case("ubuntu:25.04", "Ubuntu:25.04");
        case("debian:12", "Debian:12");
        case("debian:12.7", "Debian:12");
        case("alpine:3.20", "Alpine:v3.20");
        case("alpine:v3.20.3", "Alpine:v3.20");
        case("almalinux:9", "AlmaLinux:9");
        case("rocky:9.4", "Rocky Linux:9");
        let pro = "ubuntu:22.04".parse::<Distro>().unwrap().with_pro(true);
        assert_eq!(pro.unwrap().ecosystem(), "Ubuntu:Pro:22.04:LTS");
        let debian = "debian:12".parse::<Distro>().unwrap().with_pro(true);
        assert!(debian.unwrap_err().contains("Ubuntu only"));
    }

    #[test]
    fn each_format_has_its_upgrade_command() {
        let bins = ["libssl3".to_string(), "openssl".to_string()];
        let cmd = |eco: &str, to: &str| {
            PackageFormat::of_ecosystem(eco)
                .and_then(|f| f.upgrade_command(&bins, to))
                .unwrap_or_default()
        };
        assert_eq!(
            cmd("Ubuntu:22.04:LTS", "3.0.2-0ubuntu1.18"),
            "apt-get install --only-upgrade libssl3 openssl"
        );
        assert_eq!(
            cmd("Alpine:v3.20", "3.3.2-r0"),
            "apk upgrade libssl3 openssl"
        );
        assert_eq!(
            cmd("Rocky Linux:9", "1:3.2.2-6.el9_5"),
            "dnf upgrade libssl3-1:3.2.2-6.el9_5 openssl-1:3.2.2-6.el9_5"
        );
        assert_eq!(cmd("crates.io", "1.0.0"), "");
        assert!(PackageFormat::Dpkg.upgrade_command(&[], "1").is_none());
    }

    #[test]
    fn bad_releases_say_what_is_expected() {
        for text in [
            "ubuntu",
            "ubuntu:22",
            "centos:7",
            "debian:twelve",
            "alpine:3",
            "",
        ] {
            let err = text.parse::<Distro>().unwrap_err();
            assert!(err.contains("expected ID:VERSION"), "{text}: {err}");
        }
    }

    #[test]
    fn reads_os_release_files() {
        let ubuntu = "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n\
                      ID=ubuntu\nID_LIKE=debian\n";
        assert_eq!(
            Distro::from_os_release(ubuntu).unwrap().ecosystem(),
            "Ubuntu:22.04:LTS"
        );
        let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n";
        assert_eq!(
            Distro::from_os_release(alpine).unwrap().ecosystem(),
            "Alpine:v3.20"
        );
        let rocky = "NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.4\"\n";
        assert_eq!(
            Distro::from_os_release(rocky).unwrap().to_string(),
            "rocky:9"
        );
        assert!(
            Distro::from_os_release("NAME=x\n")
                .unwrap_err()
                .contains("ID=")
        );
        assert!(
            Distro::from_os_release("ID=arch\n")
                .unwrap_err()
                .contains("VERSION_ID")
        );
        let err = Distro::from_os_release("ID=centos\nVERSION_ID=7\n").unwrap_err();
        assert!(err.contains("unknown distribution `centos:7`"), "{err}");
    }
}
