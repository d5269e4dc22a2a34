//! What upgrading an OS package restarts, from the package itself: the rule the README's
//! "Restarts and downtime of OS packages" states.
//!
//! 1. A reboot for what only a reboot replaces: the kernel (`linux*`, `kernel*`), the C library
//!    (`libc6`, `glibc`, `musl`), `systemd`, `dbus` and CPU microcode.
//! 2. A service restart for a daemon's package: the servers operators run (`openssh-server`,
//!    `nginx`, `apache2`, `postgresql-*`, `haproxy`, ...) and any `*-server` or `*-daemon`.
//! 3. A library (`lib*`): the services that use it, that is the installed daemon packages (rule 2)
//!    that depend on one of its binaries by the package list's own dependency fields (dpkg
//!    `Depends`/`Pre-Depends`, apk `D:`); a service restart naming them, else nothing to restart.
//!    An `rpm -qa` listing has no dependencies, so there a library counts as a service restart.
//! 4. Anything else (tools, data, documentation): no restart.
//!
//! The downtime a customer sees follows: 10 minutes for a reboot, 1 for a service restart.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::os_package::Installed;

/// What an upgrade restarts (a component's `restart`; for OS packages, the rule above).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Restart {
    None,
    #[default]
    Service,
    Reboot,
}

impl Restart {
    pub fn as_str(self) -> &'static str {
        match self {
            Restart::None => "none",
            Restart::Service => "service",
            Restart::Reboot => "reboot",
        }
    }
}

/// Minutes of downtime a reboot costs.
pub const REBOOT_MINUTES: u32 = 10;
/// Minutes of downtime a service restart costs.
pub const SERVICE_MINUTES: u32 = 1;

/// The restart an upgrade of `binaries` (of source package `source`) needs, and why, given every
/// package installed on the host.
pub fn classify(source: &str, binaries: &[String], host: &[Installed]) -> (Restart, String) {
    if let Some(b) = std::iter::once(source)
        .chain(binaries.iter().map(String::as_str))
        .find(|n| needs_reboot(n))
    {
        return (
            Restart::Reboot,
            format!("`{b}` is only replaced by a reboot"),
        );
    }
    if let Some(b) = binaries.iter().find(|b| is_daemon(b)) {
        return (Restart::Service, format!("`{b}` is a service"));
    }
    let libraries: BTreeSet<&str> = binaries
        .iter()
        .map(String::as_str)
        .filter(|b| b.starts_with("lib") || b.ends_with("-libs"))
        .collect();
    if libraries.is_empty() {
        return (Restart::None, "no service or reboot package".into());
    }
    // The names the libraries answer to: their own, and what they provide.
    let names: BTreeSet<&str> = host
        .iter()
        .filter(|p| libraries.contains(p.binary.as_str()))
        .flat_map(|p| p.provides.iter().map(String::as_str))
        .chain(libraries.iter().copied())
        .collect();
    let mut users = BTreeSet::new();
    for p in host.iter().filter(|p| is_daemon(&p.binary)) {
        match &p.depends {
            Some(deps) if deps.iter().any(|d| names.contains(d.as_str())) => {
                users.insert(p.binary.as_str());
            }
            Some(_) => {}
            None => {
                let why =
                    "a library, and the listing has no dependencies to say which services use it";
                return (Restart::Service, why.into());
            }
        }
    }
    if users.is_empty() {
        return (Restart::None, "a library no installed service uses".into());
    }
    let users: Vec<&str> = users.into_iter().collect();
    (
        Restart::Service,
        format!("a library used by {}", users.join(", ")),
    )
}

/// The downtime of a restart, in minutes.
pub fn downtime(restart: Restart) -> u32 {
    match restart {
        Restart::Reboot => REBOOT_MINUTES,
        Restart::Service => SERVICE_MINUTES,
        Restart::None => 0,
    }
}

fn needs_reboot(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "libc6",
        "glibc",
        "musl",
        "systemd",
        "dbus",
        "dbus-broker",
        "intel-microcode",
        "amd64-microcode",
        "microcode_ctl",
        "linux-firmware",
    ];
    EXACT.contains(&name)
        || name == "linux"
        || name.starts_with("linux-image")
        || name.starts_with("linux-signed")
        || name.starts_with("linux-lts")
        || name.starts_with("linux-virt")
        || name == "kernel"
        || name.starts_with("kernel-core")
        || name.starts_with("kernel-modules")
}

fn is_daemon(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "apache2",
        "httpd",
        "nginx",
        "haproxy",
        "squid",
        "bind9",
        "named",
        "unbound",
        "dnsmasq",
        "dovecot-core",
        "dovecot",
        "postfix",
        "exim4-daemon-light",
        "slapd",
        "openldap",
        "cups-daemon",
        "cups",
        "strongswan-charon",
        "strongswan",
        "openvpn",
        "chrony",
        "ntp",
        "ntpsec",
        "rsyslog",
        "cron",
        "cronie",
        "snapd",
        "containerd",
        "docker-ce",
        "docker.io",
        "memcached",
        "valkey",
        "openvswitch-switch",
        "avahi-daemon",
        "rsync",
    ];
    EXACT.contains(&name)
        || name.starts_with("nginx-")
        || name.starts_with("postgresql-1")
        || name.starts_with("postgresql-server")
        || name.starts_with("mysql-server")
        || name.starts_with("mariadb-server")
        || name.ends_with("-server")
        || name.ends_with("-daemon")
        || name.ends_with("-fpm")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed(binary: &str, depends: &[&str]) -> Installed {
        Installed {
            binary: binary.into(),
            source: String::new(),
            depends: Some(depends.iter().map(|d| d.to_string()).collect()),
            provides: Vec::new(),
        }
    }

    fn case(source: &str, binaries: &[&str], host: &[Installed], expected: Restart, why: &str) {
        let binaries: Vec<String> = binaries.iter().map(|b| b.to_string()).collect();
        let (restart, reason) = classify(source, &binaries, host);
        assert_eq!(restart, expected, "{source}: {reason}");
        assert!(reason.contains(why), "{source}: {reason}");
    }

    #[test]
    fn the_package_says_what_restarts() {
        let host = [
            installed("openssh-server", &["libc6", "libssl3", "openssh-client"]),
            installed("nginx-core", &["libc6", "libssl3", "libpcre3"]),
            installed("vim", &["libc6", "libncursesw6"]),
        ];
        use Restart::*;
        case("glibc", &["libc6", "libc-bin"], &host, Reboot, "`glibc`");
        case("systemd", &["libsystemd0"], &host, Reboot, "reboot");
        case(
            "linux-signed-hwe",
            &["linux-image-6.8.0-45"],
            &host,
            Reboot,
            "reboot",
        );
        case(
            "intel-microcode",
            &["intel-microcode"],
            &host,
            Reboot,
            "reboot",
        );
        case("dbus", &["dbus", "libdbus-1-3"], &host, Reboot, "`dbus`");
        case(
            "openssh",
            &["openssh-client", "openssh-server"],
            &host,
            Service,
            "`openssh-server` is a service",
        );
        case(
            "postgresql-14",
            &["postgresql-14", "postgresql-client-14"],
            &host,
            Service,
            "service",
        );
        case(
            "openssl",
            &["libssl3", "openssl"],
            &host,
            Service,
            "used by nginx-core, openssh-server",
        );
        case(
            "ncurses",
            &["libncursesw6", "ncurses-base"],
            &host,
            None,
            "no installed service",
        );
        case("vim", &["vim", "vim-common"], &host, None, "no service");
        let unknown = [Installed {
            binary: "nginx".into(),
            source: "nginx".into(),
            depends: Option::None,
            provides: Vec::new(),
        }];
        case(
            "openssl",
            &["openssl-libs"],
            &unknown,
            Service,
            "no dependencies",
        );
        assert_eq!(downtime(Reboot), 10);
        assert_eq!(downtime(Service), 1);
        assert_eq!(downtime(None), 0);
    }
}
