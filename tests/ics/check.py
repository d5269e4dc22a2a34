#!/usr/bin/env python3
"""Reads every calendar file patchplan writes with an independent parser (Python's icalendar)
and checks each property against the notice's own json view, its plan, and RFC 5545's rules.

    python3 tests/ics/check.py target/debug/patchplan

It renders everything itself into a temporary directory: `plan` on the example inventory (both
locales, both disclosure levels, scheduled, reminder and emergency notices; reminders have no
calendar file, the invitation's VALARMs remind), `plan` on the notice
fixture plus its rescheduled, cancelled and completed notices (long Spanish text that folds
inside multi-byte characters), and the same fixture with hostile advisory and service text.
Every failure is printed and the exit status is 1; finding no calendar at all is a failure too.
CI runs it from .ci/run.
"""

import datetime as dt
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import icalendar

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOW = "2026-10-27T09:00:00Z"
HOSTILE = "<script>alert(1)</script> [x](http://evil) \r\nBCC: a@b"

EVENT_PROPERTIES = ["UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION",
                    "STATUS", "TRANSP", "ORGANIZER", "ATTENDEE"]

failures = []
checked = {"calendars": 0, "properties": 0}


def fail(path, message):
    failures.append(f"{path}: {message}")


def expect(path, name, got, want):
    checked["properties"] += 1
    if got != want:
        fail(path, f"{name}: got {got!r}, want {want!r}")


def run(binary, *args, cwd=ROOT):
    env = dict(os.environ, NO_COLOR="1")
    done = subprocess.run([binary, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"patchplan {' '.join(args)} exited {done.returncode}:\n{done.stderr}")


def render_all(binary, tmp):
    """Every notice kind, into tmp/{example,fixture,hostile}."""
    cache = ["--cache", str(tmp / "cache")]
    # Each plan gets a new ledger in tmp: the inventory's own would remember an earlier run and
    # issue nothing, and this check must leave the repository as it found it.
    run(binary, *cache, "--inventory", "inventory", "--ledger", str(tmp / "example.ledger.db"),
        "plan", "--now", NOW, "--out", str(tmp / "example"), "--quiet")
    fixture = ROOT / "tests/fixtures/notices/inventory"
    hostile = tmp / "hostile-inventory"
    shutil.copytree(fixture, hostile)
    toml_hostile = json.dumps(HOSTILE)  # a JSON string is a valid TOML basic string here
    adv = hostile / "advisories/CR-2026-002.toml"
    adv.write_text(re.sub(r'(?m)^summary = .*$', lambda _: f"summary = {toml_hostile}",
                          adv.read_text()))
    env = hostile / "environments/harbor-core.toml"
    env.write_text(re.sub(r'(?m)^name = .*$', lambda _: f"name = {toml_hostile}",
                          env.read_text()))
    for inv, out in [(fixture, tmp / "fixture"), (hostile, tmp / "hostile")]:
        run(binary, *cache, "--inventory", str(inv), "--ledger", str(out) + ".ledger.db", "plan",
            "--now", NOW, "--out", str(out), "--quiet")
        operator_notices(binary, cache, inv, out)


def operator_notices(binary, cache, inv, out):
    """rescheduled and cancelled for each planned window, completed for each emergency."""
    plan = json.loads((out / "plan.json").read_text())
    base = [*cache, "--inventory", str(inv), "notices", "--plan", str(out / "plan.json"),
            "--quiet"]
    for w in plan["windows"]:
        if w["kind"] == "planned":
            start = dt.datetime.fromisoformat(w["start"].replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(w["end"].replace("Z", "+00:00"))
            week = dt.timedelta(days=7)
            run(binary, *base, "--kind", "rescheduled", "--window", w["id"],
                "--previous-start", (start - week).isoformat(),
                "--previous-end", (end - week).isoformat(),
                "--note", "Movida una semana; the old week clashed, with \\ ; and , in it")
            run(binary, *base, "--kind", "cancelled", "--window", w["id"],
                "--note", HOSTILE)
        else:
            run(binary, *base, "--kind", "completed", "--window", w["id"],
                "--outcome", "partial")


def check_raw(path, data):
    """CRLF line ends, 75-octet lines, continuation lines, whole UTF-8 characters."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(path, f"not UTF-8: {e}")
    if not data.endswith(b"\r\n"):
        fail(path, "does not end with CRLF")
    lines = data[:-2].split(b"\r\n")
    for i, line in enumerate(lines, 1):
        checked["properties"] += 1
        if b"\r" in line or b"\n" in line:
            fail(path, f"line {i}: a bare CR or LF")
        if len(line) > 75:
            fail(path, f"line {i}: {len(line)} octets, more than 75")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            fail(path, f"line {i}: folding split a UTF-8 character")
        if i > 1 and line[:1] != b" " and not re.match(rb"^[A-Z-]+[;:]", line):
            fail(path, f"line {i}: neither a property nor a continuation: {line[:30]!r}")
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8", "replace")
    for line in unfolded.split("\r\n"):
        if line.upper().startswith("BCC"):
            fail(path, f"a content line starts with BCC: {line!r}")
        name, _, value = line.partition(":")
        if name in ("SUMMARY", "DESCRIPTION"):
            check_text_value(path, name, value)


def check_text_value(path, name, value):
    """RFC 5545 3.3.11: in a TEXT value, `\\`, `;` and `,` are escaped and `\\n` is the only
    line break; the parser forgives a bare `,` or `;`, so this reads the raw value."""
    checked["properties"] += 1
    i = 0
    while i < len(value):
        c = value[i]
        if c == "\\":
            if value[i + 1:i + 2] not in ("\\", ";", ",", "n", "N"):
                fail(path, f"{name}: bad escape {value[i:i + 2]!r} at {i}")
            i += 2
            continue
        if c in ";,":
            fail(path, f"{name}: unescaped {c!r} at {i}: ...{value[max(0, i - 20):i + 1]!r}")
            return
        i += 1


def utc(value):
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_event(path, ev, view, plan):
    kind = view["kind"]
    expect(path, "UID", str(ev.get("UID")), view["uid"])
    expect(path, "SEQUENCE", int(ev.get("SEQUENCE")), view["sequence"])
    for prop, want in [("DTSTAMP", view["issued"]), ("DTSTART", view["window"]["start"]),
                       ("DTEND", view["window"]["end"])]:
        got = ev.decoded(prop)
        expect(path, prop, got, utc(want))
        expect(path, f"{prop} is UTC", got.utcoffset(), dt.timedelta(0))
    expect(path, "properties", sorted(ev.keys()), sorted(EVENT_PROPERTIES))
    expect(path, "TRANSP", str(ev.get("TRANSP")), "TRANSPARENT")
    expect(path, "STATUS", str(ev.get("STATUS")),
           "CANCELLED" if kind == "cancelled" else "CONFIRMED")
    org = ev.get("ORGANIZER")
    expect(path, "ORGANIZER", str(org), "mailto:" + view["organisation"]["email"])
    expect(path, "ORGANIZER CN", org.params.get("CN"), view["organisation"]["name"])
    attendees = ev.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    got = sorted((str(a), a.params.get("CN")) for a in attendees)
    want = sorted(("mailto:" + c["email"], c["name"].replace('"', "'"))
                  for c in view["contacts"])
    expect(path, "ATTENDEE", got, want)
    summary, description = str(ev.get("SUMMARY")), str(ev.get("DESCRIPTION"))
    for service in view["services"]:
        checked["properties"] += 1
        if service not in summary or service not in description:
            fail(path, f"service {service!r} missing from SUMMARY or DESCRIPTION")
    for text, name in [(view["reference"], "reference"), (view["customer"]["name"], "customer"),
                       (view["window"]["start_local"], "local start")]:
        checked["properties"] += 1
        if text not in description:
            fail(path, f"DESCRIPTION lacks the {name} {text!r}")
    check_disclosure(path, description, view, plan)
    check_inert(path, summary + "\n" + description)


def check_alarms(path, ev, view):
    """One DISPLAY alarm per reminder lead of the view, in its order, before the start."""
    alarms = [c for c in ev.subcomponents if c.name == "VALARM"]
    expect(path, "VALARM triggers", [a.decoded("TRIGGER") for a in alarms],
           [-dt.timedelta(minutes=a["lead_minutes"]) for a in view["alarms"]])
    for a in alarms:
        expect(path, "VALARM ACTION", str(a.get("ACTION")), "DISPLAY")
        checked["properties"] += 1
        if not str(a.get("DESCRIPTION", "")):
            fail(path, "VALARM without DESCRIPTION")
    if view["kind"] in ("scheduled", "rescheduled") and not view["emergency"]:
        checked["properties"] += 1
        if not alarms and view["alarms"]:
            fail(path, "a planned window's invitation has no alarms")


def words_of(window, plan):
    """What a detailed notice must name (components, versions, advisory ids) and what a summary
    notice must not name (those, and the advisories' aliases and CVSS vectors)."""
    ids = {f for t in window["tasks"] for f in t["findings"]}
    required = set()
    for t in window["tasks"]:
        required |= {t["package"], t["from"], t["to"]}
    forbidden = set(required)
    # plan.json v2 keeps each advisory's aliases once, and each ranking (with its CVSS) once.
    advisories = plan.get("advisories", {})
    assessments = plan.get("assessments", {})
    for f in plan["findings"]:
        if f["id"] in ids:
            required.add(f["advisory"])
            aliases = f.get("aliases", advisories.get(f["advisory"], {}).get("aliases", []))
            forbidden |= {f["advisory"], *aliases}
            cvss = f.get("cvss") or assessments.get(str(f.get("assessment")), {}).get("cvss")
            if cvss:
                forbidden.add(cvss["vector"])
    return required, forbidden


def check_disclosure(path, description, view, plan):
    window = next(w for w in plan["windows"] if w["id"] == view["reference"])
    tokens = set(re.split(r"[\s,;()]+", description))
    required, forbidden = words_of(window, plan)
    named = lambda word: word in tokens or (len(word) > 4 and word in description)
    if view["disclosure"] == "summary":
        for word in forbidden:
            checked["properties"] += 1
            if named(word):
                fail(path, f"summary disclosure names {word!r}")
    else:
        for word in required:
            checked["properties"] += 1
            if not named(word) and "<" not in word:
                fail(path, f"detailed disclosure lacks {word!r}")


def check_inert(path, text):
    checked["properties"] += 1
    if "\r" in text or "http://" in text or "https://" in text:
        fail(path, "untrusted text kept a CR or a live URL")
    if any(line.lstrip().upper().startswith("BCC") for line in text.split("\n")):
        fail(path, "untrusted text starts a line with BCC")


def check_calendar(path):
    data = path.read_bytes()
    check_raw(path, data)
    view = json.loads(path.with_suffix(".json").read_text())
    plan = json.loads((path.parents[2] / "plan.json").read_text())
    try:
        cals = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as e:  # the parser's own errors are what this check is for
        fail(path, f"icalendar cannot parse it: {e}")
        return
    expect(path, "VCALENDAR count", len(cals), 1)
    cal = cals[0]
    expect(path, "VERSION", str(cal.get("VERSION")), "2.0")
    expect(path, "CALSCALE", str(cal.get("CALSCALE")), "GREGORIAN")
    expect(path, "PRODID", str(cal.get("PRODID", "")).startswith("-//patchplan//"), True)
    expect(path, "METHOD", str(cal.get("METHOD")),
           "CANCEL" if view["kind"] == "cancelled" else "REQUEST")
    events = [c for c in cal.subcomponents if c.name == "VEVENT"]
    expect(path, "components", [c.name for c in cal.subcomponents], ["VEVENT"])
    if events:
        check_event(path, events[0], view, plan)
        check_alarms(path, events[0], view)
    checked["calendars"] += 1


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        render_all(binary, tmp)
        calendars = sorted(tmp.glob("*/notices/*/*.ics"))
        kinds = {json.loads(p.with_suffix(".json").read_text())["kind"] for p in calendars}
        # A reminder is a plain mail: the invitation's VALARMs remind, no REQUEST is re-sent.
        if kinds != {"scheduled", "emergency", "rescheduled", "cancelled", "completed"}:
            fail(tmp, f"expected a calendar for every kind but reminder, found {sorted(kinds)}")
        reminders = sorted(tmp.glob("*/notices/*/*.reminder-*.json"))
        if not reminders:
            fail(tmp, "no reminder notices were rendered")
        for path in reminders:
            checked["properties"] += 1
            if path.with_suffix(".ics").exists():
                fail(path, "a reminder has a calendar file")
        for path in calendars:
            check_calendar(path)
    if checked["calendars"] == 0:
        failures.append("no calendar files were checked")
    for f in failures:
        print(f"ICS CHECK FAILED: {f}", file=sys.stderr)
    print(f"ics check: {checked['calendars']} calendars, {checked['properties']} checks, "
          f"{len(failures)} failures (icalendar {icalendar.__version__})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
