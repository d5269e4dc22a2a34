#!/usr/bin/env python3
"""Convert a RustSec OSV export (zip, directory or single JSON file) into the
advisory-db layout that cargo-audit reads with `--db DIR --no-fetch`.

    python3 osv_to_advisory_db.py crates.io-all.zip OUT_DIR

OUT_DIR/crates/<package>/<ID>.md is written for every crates.io record: a
```toml front-matter block ([advisory], [versions], optional [affected])
followed by "# title" and the Markdown description, as in RustSec's own
repository. Python 3.11 standard library only; the output is deterministic
(same input, same bytes), and OUT_DIR is replaced as a whole.

cargo-audit needs no git repository for `--no-fetch`: rustsec's
`Database::open` walks `crates/*/*.md` of a plain directory (a repository is
only opened when it fetches), so none is created.

Version ranges: RustSec's OSV export turns the `patched` / `unaffected`
requirements into the gaps between them ([introduced, fixed) intervals,
introduced "0.0.0-0" for "from the start", no fixed for "still affected").
This does the reverse: the affected intervals of every SEMVER/ECOSYSTEM range
are sorted with SemVer 2.0 precedence and merged, and each gap between them
becomes one requirement -- the gap below the first `introduced` goes to
`unaffected` ("<I"), every gap after a `fixed` / `last_affected` goes to
`patched` (">=F" or ">L", bounded by "<I" of the next interval). cargo-audit
matches by turning those requirements back into the same intervals, so a
version is affected after the round trip exactly when it was before.

What OSV does not carry is approximated: `keywords` (absent), whether the
third reference URL was the advisory's `url` or its first `references`
entry, and the version requirements of `[affected] functions` (OSV keeps
only the paths; the advisory's affected intervals are used for each).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ECOSYSTEM = "crates.io"
MAX_ENTRY_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024

SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


# --------------------------------------------------------------------------
# SemVer 2.0 versions


@dataclass(frozen=True)
class Version:
    text: str  # canonical text, without build metadata
    key: tuple

    @staticmethod
    def parse(raw: str) -> "Version":
        text = raw.strip()
        if text.startswith("v"):
            text = text[1:]
        # rustsec pads "1" and "1.2" to "1.0.0" and "1.2.0" when reading OSV JSON
        text, plus, build = text.partition("+")
        core, dash, pre = text.partition("-")
        core += ".0" * max(0, 2 - core.count("."))
        text = core + dash + pre + plus + build
        m = SEMVER.match(text)
        if not m:
            raise ValueError(f"not a SemVer version: {raw!r}")
        major, minor, patch, pre = int(m[1]), int(m[2]), int(m[3]), m[4]
        canonical = f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
        if pre is None:
            pre_key: tuple = (1,)
        else:
            idents = []
            for part in pre.split("."):
                idents.append((0, int(part), "") if part.isdigit() else (1, 0, part))
            pre_key = (0, tuple(idents))
        return Version(canonical, (major, minor, patch, pre_key))

    def __lt__(self, other: "Version") -> bool:
        return self.key < other.key

    def __le__(self, other: "Version") -> bool:
        return self.key <= other.key


MIN = Version.parse("0.0.0-0")  # lowest SemVer version; OSV "0" means this


@dataclass
class Interval:
    """Affected versions: [start, end) or [start, end] (end None = unbounded)."""

    start: Version
    end: Version | None
    end_inclusive: bool = False


def intervals_from_events(events: list[dict]) -> list[Interval]:
    """Evaluate one OSV range's events (sorted by version, not file order)."""
    points = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected", "limit"):
            if kind in event:
                raw = str(event[kind])
                version = MIN if kind == "introduced" and raw == "0" else Version.parse(raw)
                # at the same version an introduced opens before a fix closes
                order = {"introduced": 0, "fixed": 1, "last_affected": 1, "limit": 2}[kind]
                points.append((version.key, order, kind, version))
    points.sort(key=lambda p: (p[0], p[1]))
    out: list[Interval] = []
    start: Version | None = None
    for _, _, kind, version in points:
        if kind == "introduced":
            if start is None:
                start = version
        elif kind in ("fixed", "last_affected"):
            if start is not None:
                if start < version or (kind == "last_affected" and start.key == version.key):
                    out.append(Interval(start, version, kind == "last_affected"))
                start = None
        # "limit" only bounds git ranges' commit walks; nothing to do here
    if start is not None:
        out.append(Interval(start, None))
    return out


def merge(intervals: list[Interval]) -> list[Interval]:
    intervals = sorted(intervals, key=lambda i: i.start.key)
    merged: list[Interval] = []
    for iv in intervals:
        if merged:
            last = merged[-1]
            if last.end is None:
                continue
            touches = iv.start < last.end or iv.start.key == last.end.key
            if touches:
                if iv.end is None:
                    last.end, last.end_inclusive = None, False
                elif last.end < iv.end or (
                    last.end.key == iv.end.key and iv.end_inclusive
                ):
                    last.end, last.end_inclusive = iv.end, iv.end_inclusive
                continue
        merged.append(Interval(iv.start, iv.end, iv.end_inclusive))
    return merged


def requirements(intervals: list[Interval]) -> tuple[list[str], list[str]]:
    """The gaps between affected intervals, as (patched, unaffected) reqs."""
    patched: list[str] = []
    unaffected: list[str] = []
    if not intervals:
        # nothing affected: one requirement that matches every version
        return [f">={MIN.text}"], []
    first = intervals[0]
    if first.start.key != MIN.key:
        unaffected.append(f"<{first.start.text}")
    for cur, nxt in zip(intervals, intervals[1:] + [None]):
        if cur.end is None:
            break
        lower = f">{cur.end.text}" if cur.end_inclusive else f">={cur.end.text}"
        patched.append(lower if nxt is None else f"{lower}, <{nxt.start.text}")
    return patched, unaffected


def affected_reqs(intervals: list[Interval]) -> list[str]:
    """Requirements matching the affected intervals (for [affected] functions)."""
    reqs = []
    for iv in intervals:
        parts = []
        if iv.start.key != MIN.key:
            parts.append(f">={iv.start.text}")
        if iv.end is not None:
            parts.append(f"<={iv.end.text}" if iv.end_inclusive else f"<{iv.end.text}")
        reqs.append(", ".join(parts) if parts else "*")
    return reqs


# --------------------------------------------------------------------------
# TOML output


def toml_str(value: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(toml_str(v) for v in values) + "]"


# --------------------------------------------------------------------------
# Records


def date_of(rfc3339: str) -> str:
    date = rfc3339[:10]
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
        raise ValueError(f"bad date {rfc3339!r}")
    return date


def one_line(text: str) -> str:
    return " ".join(text.split())


def cvss_of(record: dict, affected: dict) -> str | None:
    for severity in record.get("severity") or []:
        if severity.get("type") in ("CVSS_V3", "CVSS_V4") and severity.get("score"):
            return str(severity["score"])
    cvss = (affected.get("database_specific") or {}).get("cvss")
    return str(cvss) if cvss else None


def convert_record(record: dict, name: str, warn) -> tuple[str, str, str] | None:
    """Returns (package, id, markdown) or None when the record is skipped."""
    rid = record.get("id")
    if not isinstance(rid, str) or not SAFE_COMPONENT.match(rid):
        warn(f"{name}: missing or unusable id {rid!r}, skipped")
        return None
    crates = [
        a for a in record.get("affected") or []
        if (a.get("package") or {}).get("ecosystem") == ECOSYSTEM
    ]
    if not crates:
        warn(f"{name}: {rid} names no {ECOSYSTEM} package, skipped")
        return None
    package = crates[0]["package"].get("name", "")
    if not SAFE_COMPONENT.match(package) or package in (".", ".."):
        warn(f"{name}: {rid} has an unusable package name {package!r}, skipped")
        return None
    if len({a["package"].get("name") for a in crates}) > 1:
        warn(f"{name}: {rid} names several crates; only {package} is written")
    entries = [a for a in crates if a["package"].get("name") == package]

    intervals: list[Interval] = []
    seen_range = False
    for entry in entries:
        for rng in entry.get("ranges") or []:
            if rng.get("type") not in ("SEMVER", "ECOSYSTEM"):
                continue  # GIT ranges never describe crate versions
            seen_range = True
            intervals.extend(intervals_from_events(rng.get("events") or []))
        for raw in entry.get("versions") or []:
            seen_range = True
            v = Version.parse(str(raw))
            intervals.append(Interval(v, v, True))
    if not seen_range:
        warn(f"{name}: {rid} has no SEMVER range or versions; written as affecting every version")
        intervals = [Interval(MIN, None)]
    intervals = merge(intervals)
    patched, unaffected = requirements(intervals)

    first = entries[0]
    db = first.get("database_specific") or {}
    eco = first.get("ecosystem_specific") or {}
    affects = eco.get("affects") or {}

    refs = [r.get("url") for r in record.get("references") or [] if r.get("url")]
    for implied in (
        f"https://crates.io/crates/{package}",
        f"https://rustsec.org/advisories/{rid}.html",
    ):
        if implied in refs:
            refs.remove(implied)
    url, references = (refs[0], refs[1:]) if refs else (None, [])

    lines = ["```toml", "[advisory]"]
    lines.append(f"id = {toml_str(rid)}")
    lines.append(f"package = {toml_str(package)}")
    lines.append(f"date = {toml_str(date_of(record.get('published') or record['modified']))}")
    if url:
        lines.append(f"url = {toml_str(url)}")
    if references:
        lines.append(f"references = {toml_list(references)}")
    informational = db.get("informational")
    if informational:
        lines.append(f"informational = {toml_str(str(informational))}")
    categories = [str(c) for c in db.get("categories") or []]
    lines.append(f"categories = {toml_list(categories)}")
    lines.append("keywords = []")
    cvss = cvss_of(record, first)
    if cvss:
        lines.append(f"cvss = {toml_str(cvss)}")
    lines.append(f"aliases = {toml_list([str(a) for a in record.get('aliases') or []])}")
    lines.append(f"related = {toml_list([str(a) for a in record.get('related') or []])}")
    if record.get("withdrawn"):
        lines.append(f"withdrawn = {toml_str(date_of(record['withdrawn']))}")
    license_ = (record.get("database_specific") or {}).get("license")
    if license_ and license_ != "CC0-1.0":
        lines.append(f"license = {toml_str(str(license_))}")

    functions = [str(f) for f in affects.get("functions") or []]
    if functions:
        functions = sorted(set(functions))
    if affects.get("os") or affects.get("arch") or functions:
        lines += ["", "[affected]"]
        if affects.get("arch"):
            lines.append(f"arch = {toml_list([str(a) for a in affects['arch']])}")
        if affects.get("os"):
            lines.append(f"os = {toml_list([str(o) for o in affects['os']])}")
        if functions:
            reqs = toml_list(affected_reqs(intervals))
            body = ", ".join(f"{toml_str(f)} = {reqs}" for f in functions)
            lines.append(f"functions = {{ {body} }}")

    lines += ["", "[versions]"]
    lines.append(f"patched = {toml_list(patched)}")
    lines.append(f"unaffected = {toml_list(unaffected)}")
    lines.append("```")
    lines.append("")
    title = one_line(record.get("summary") or "") or rid
    lines.append(f"# {title}")
    lines.append("")
    details = (record.get("details") or "").strip()
    lines.append(details if details else title)
    return package, rid, "\n".join(lines) + "\n"


def read_records(source: Path, warn):
    """Yields (entry name, parsed JSON) from a zip, a directory or a file."""
    if source.is_dir():
        for path in sorted(source.rglob("*.json")):
            yield path.name, path.read_bytes()
        return
    if zipfile.is_zipfile(source):
        total = 0
        with zipfile.ZipFile(source) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                if info.is_dir() or not info.filename.endswith(".json"):
                    continue
                if info.file_size > MAX_ENTRY_BYTES:
                    warn(f"{info.filename}: larger than {MAX_ENTRY_BYTES} bytes, skipped")
                    continue
                with zf.open(info) as fh:
                    data = fh.read(MAX_ENTRY_BYTES + 1)
                if len(data) > MAX_ENTRY_BYTES:
                    warn(f"{info.filename}: larger than {MAX_ENTRY_BYTES} bytes, skipped")
                    continue
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    raise SystemExit(f"{source}: more than {MAX_TOTAL_BYTES} bytes uncompressed")
                yield info.filename, data
        return
    yield source.name, source.read_bytes()


def convert(source: Path, out_dir: Path, warn) -> int:
    records = []
    for name, data in read_records(source, warn):
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            warn(f"{name}: not JSON ({err}), skipped")
            continue
        for record in parsed if isinstance(parsed, list) else [parsed]:
            try:
                converted = convert_record(record, name, warn)
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                warn(f"{name}: {err}, skipped")
                continue
            if converted:
                records.append(converted)

    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".advisory-db-", dir=out_dir.parent))
    try:
        seen: set[str] = set()
        for package, rid, markdown in sorted(records):
            if rid in seen:
                warn(f"{rid}: duplicate id, later copy skipped")
                continue
            seen.add(rid)
            pkg_dir = staging / "crates" / package
            pkg_dir.mkdir(parents=True, exist_ok=True)
            (pkg_dir / f"{rid}.md").write_text(markdown, encoding="utf-8", newline="\n")
        (staging / "crates").mkdir(exist_ok=True)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("osv", type=Path, help="OSV zip, directory of JSON files, or one JSON file")
    parser.add_argument("out_dir", type=Path, help="advisory-db directory to (re)create")
    parser.add_argument("-q", "--quiet", action="store_true", help="print warnings only")
    args = parser.parse_args(argv)
    if not args.osv.exists():
        print(f"error: {args.osv}: no such file or directory", file=sys.stderr)
        return 2
    warnings = []

    def warn(msg: str) -> None:
        warnings.append(msg)
        print(f"warning: {msg}", file=sys.stderr)

    count = convert(args.osv, args.out_dir, warn)
    if not args.quiet:
        print(f"wrote {count} advisories to {args.out_dir}/crates ({len(warnings)} warnings)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
