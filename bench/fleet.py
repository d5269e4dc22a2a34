#!/usr/bin/env python3
"""Generates a large fleet inventory for the plan benchmark (DESIGN.md, "Performance"):
ENVIRONMENTS environments of COMPONENTS components each, matched against all of the shared OSV
data (crates.io, PyPI and Go exports) and the shared KEV catalogue.

Components are real package names taken from the advisories, at a version that some advisory
marks as affected for one in 25 of them and past every known fix otherwise, so that matching,
ranking and scheduling all have real work. Environments share components through stacks, as
operators do (a few dozen dependency profiles across the fleet), plus a few of their own.

Usage: python3 bench/fleet.py OUT_DIR [ENVIRONMENTS [COMPONENTS]]   (defaults 20000 and 250)
Deterministic: the same arguments give the same files. Standard library only.
"""
import json
import os
import random
import sys
import zipfile

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
ZIPS = {"crates.io": "crates.io-all.zip", "PyPI": "PyPI-all.zip", "Go": "Go-all.zip"}
ZONES = ["America/New_York", "Europe/Madrid", "America/Bogota", "Australia/Sydney",
         "Europe/London", "Asia/Kolkata", "America/Santiago", "Pacific/Auckland"]
RULES = ["FREQ=WEEKLY;BYDAY=SU", "FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=MONTHLY;BYDAY=2TU",
         "FREQ=DAILY;INTERVAL=2"]
STACKS = 40
ENVS_PER_CUSTOMER = 10
OWN_COMPONENTS = 5
# The share of components at a vulnerable version.
VULNERABLE = 0.04


def version_key(text):
    """A rough ordering, good enough to find a package's highest fixed version."""
    parts = []
    for piece in text.lstrip("v").replace("-", ".").split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else -1)
    return parts


def candidates(rng):
    """(ecosystem, name, vulnerable version, safe version) from the advisories: the safe version
    is the highest version any advisory of the package names as a fix."""
    bad, fixes = {}, {}
    for eco, name in ZIPS.items():
        with zipfile.ZipFile(os.path.join(SHARED, "osv", name)) as z:
            for entry in sorted(z.namelist()):
                rec = json.loads(z.read(entry))
                for a in rec.get("affected", []):
                    pkg = a.get("package", {})
                    if pkg.get("ecosystem") != eco:
                        continue
                    events = [e for r in a.get("ranges", []) if r.get("type") != "GIT"
                              for e in r.get("events", [])]
                    key = (eco, pkg["name"])
                    fixes.setdefault(key, []).extend(
                        e["fixed"] for e in events if "fixed" in e and e["fixed"][:1].isdigit())
                    introduced = [e["introduced"] for e in events
                                  if e.get("introduced", "0") != "0"
                                  and e["introduced"][:1].isdigit()]
                    listed = [v for v in a.get("versions", []) if v[:1].isdigit()]
                    if key not in bad and (listed or introduced):
                        bad[key] = (listed or introduced)[-1]
    prefix = {"Go": "v"}
    out = [(eco, name, prefix.get(eco, "") + bad[(eco, name)],
            prefix.get(eco, "") + max(fixes[(eco, name)], key=version_key))
           for (eco, name) in sorted(bad) if fixes.get((eco, name))]
    rng.shuffle(out)
    return out


def component(c, rng):
    eco, name, bad, good = c
    version = bad if rng.random() < VULNERABLE else good
    return f'[[components]]\nname = "{name}"\necosystem = "{eco}"\nversion = "{version}"\n'


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    out = sys.argv[1]
    envs = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    per_env = int(sys.argv[3]) if len(sys.argv) > 3 else 250
    rng = random.Random(20261122)
    pool = candidates(rng)
    inv = os.path.join(out, "inventory")
    feeds = "".join(
        f'[[feed]]\nid = "osv-{eco.lower()}"\nkind = "osv"\nsource = "{os.path.abspath(os.path.join(SHARED, "osv", z))}"\n\n'
        for eco, z in ZIPS.items())
    kev = os.path.abspath(os.path.join(SHARED, "kev", "known_exploited_vulnerabilities.json"))
    write(os.path.join(inv, "patchplan.toml"),
          '[organisation]\nname = "Fleet"\nemail = "ops@fleet.example"\ndomain = "fleet.example"\n\n'
          f'[defaults]\nhorizon = "45d"\n\n{feeds}[[feed]]\nid = "kev"\nkind = "kev"\nsource = "{kev}"\n')
    stack_size = per_env - OWN_COMPONENTS
    for s in range(STACKS):
        comps = rng.sample(pool, min(stack_size, len(pool)))
        write(os.path.join(inv, "stacks", f"s{s}.toml"),
              f'id = "s{s}"\n\n' + "\n".join(component(c, rng) for c in comps))
    customers = (envs + ENVS_PER_CUSTOMER - 1) // ENVS_PER_CUSTOMER
    for c in range(customers):
        rule = RULES[c % len(RULES)]
        write(os.path.join(inv, "customers", f"c{c}.toml"),
              f'id = "c{c}"\nname = "Customer {c}"\ntimezone = "{ZONES[c % len(ZONES)]}"\n'
              f'notice = "72h"\n\n[[windows]]\nid = "w"\nrrule = "{rule}"\nstart = "02:00"\nduration = "6h"\n')
    for e in range(envs):
        own = "\n".join(component(c, rng) for c in rng.sample(pool, OWN_COMPONENTS))
        after = f'after = "e{e - 1}"\nsoak = "24h"\n' if e % ENVS_PER_CUSTOMER else ""
        write(os.path.join(inv, "environments", f"e{e}.toml"),
              f'id = "e{e}"\nname = "Env {e}"\ncustomer = "c{e // ENVS_PER_CUSTOMER}"\n'
              f'exposure = "{["internet", "internal"][e % 2]}"\ncriticality = "{["low", "medium", "high"][e % 3]}"\n'
              f'stacks = ["s{e % STACKS}"]\n{after}\n{own}')
    print(f"{envs} environments x {per_env} components, {customers} customers, {STACKS} stacks, "
          f"{len(pool)} candidate packages -> {inv}")


if __name__ == "__main__":
    main()
