#!/usr/bin/env python3
"""Reads every customer calendar of a report with an independent parser (Python's icalendar):

    python3 tests/ics/report.py OUT

where OUT is the output directory of a first `plan` run on a new ledger (so every window of
plan.json is current and announced by exactly one scheduled or emergency notice). For each
customer, `OUT/report/customers/ID/maintenance.ics` must be one VCALENDAR (METHOD:PUBLISH) with
one VEVENT per window of that customer in plan.json, at the window's times, with the UID and
SEQUENCE of the notice that announced it; and `notices.atom` must be well-formed Atom with an
entry for every notice of plan.json already sent, each with an id, a title and an updated time.
Prints one line per failure; exit status 1 if any.
"""

import datetime as dt
import json
import pathlib
import sys
import xml.etree.ElementTree as ET

import icalendar

ATOM = "{http://www.w3.org/2005/Atom}"


def utc(value):
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check(out):
    failures = []
    plan = json.loads((out / "plan.json").read_text())
    customers = sorted({w["customer"] for w in plan["windows"]})
    if not customers:
        failures.append("plan.json has no windows")
    events_seen = 0
    for customer in customers:
        path = out / "report" / "customers" / customer / "maintenance.ics"
        cals = icalendar.Calendar.from_ical(path.read_bytes(), multiple=True)
        if len(cals) != 1:
            failures.append(f"{path}: {len(cals)} calendars")
            continue
        cal = cals[0]
        if str(cal.get("METHOD")) != "PUBLISH":
            failures.append(f"{path}: METHOD {cal.get('METHOD')}")
        events = [c for c in cal.subcomponents if c.name == "VEVENT"]
        windows = {w["id"]: w for w in plan["windows"] if w["customer"] == customer}
        announced = {n["window"]: n for n in plan["notices"]
                     if n["customer"] == customer and n["kind"] in ("scheduled", "emergency")}
        if len(events) != len(windows):
            failures.append(f"{path}: {len(events)} events for {len(windows)} windows")
        by_uid = {str(ev["UID"]): ev for ev in events}
        if len(by_uid) != len(events):
            failures.append(f"{path}: UIDs repeat")
        for wid, w in windows.items():
            notice = announced.get(wid)
            if notice is None:
                failures.append(f"{path}: window {wid} has no scheduled or emergency notice")
                continue
            ev = by_uid.get(notice["uid"])
            if ev is None:
                failures.append(f"{path}: no event with the UID {notice['uid']} of {wid}")
                continue
            events_seen += 1
            got = (utc(ev.decoded("DTSTART")), utc(ev.decoded("DTEND")), int(ev["SEQUENCE"]))
            want = (w["start"].replace("+00:00", "Z"), w["end"].replace("+00:00", "Z"),
                    notice["sequence"])
            if got != want:
                failures.append(f"{path}: {wid}: got {got}, want {want}")
            if ev.get("ATTENDEE") is not None:
                failures.append(f"{path}: {wid}: a published calendar lists attendees")
        failures.extend(check_atom(out, customer, plan))
    return failures, events_seen


def check_atom(out, customer, plan):
    path = out / "report" / "customers" / customer / "notices.atom"
    try:
        feed = ET.parse(path).getroot()
    except ET.ParseError as e:
        return [f"{path}: not well-formed: {e}"]
    problems = []
    if feed.tag != ATOM + "feed":
        problems.append(f"{path}: root is {feed.tag}")
    entries = feed.findall(ATOM + "entry")
    sent = [n for n in plan["notices"] if n["customer"] == customer and n["send_at"] <= plan["now"]]
    if len(entries) != len(sent):
        problems.append(f"{path}: {len(entries)} entries for {len(sent)} notices sent")
    for e in entries:
        for child in ("id", "title", "updated"):
            if not (e.findtext(ATOM + child) or "").strip():
                problems.append(f"{path}: an entry has no {child}")
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    failures, events = check(pathlib.Path(sys.argv[1]))
    for f in failures:
        print(f"REPORT ICS CHECK FAILED: {f}")
    print(f"report ics check: {events} events, {len(failures)} failures "
          f"(icalendar {icalendar.__version__})")
    sys.exit(1 if failures or events == 0 else 0)


if __name__ == "__main__":
    main()
