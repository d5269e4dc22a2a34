"""Reads every message the test SMTP server stored (DIR/*.eml with its envelope .json) with
Python's own `email` package, and, when it is installed, each calendar part with `icalendar`;
prints one JSON object per message, one per line, for the Rust test to check:
message_id, from, to, subject, rcpt_tos, the content type of the top part and each leaf part's
content type, its method parameter, and the decoded text, html and calendar bodies.

    python3 read_mail.py DIR
"""

import email
import email.policy
import glob
import json
import os
import sys

try:
    import icalendar
except ImportError:
    icalendar = None


def main():
    out = []
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        with open(path[: -len(".eml")] + ".json") as f:
            envelope = json.load(f)
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            entry = {
                "type": part.get_content_type(),
                "method": part.get_param("method"),
                "body": part.get_content(),
            }
            if entry["type"] == "text/calendar" and icalendar is not None:
                cal = icalendar.Calendar.from_ical(entry["body"])
                entry["ical_method"] = str(cal.get("method"))
                entry["ical_uids"] = [str(e.get("uid")) for e in cal.walk("VEVENT")]
            parts.append(entry)
        out.append({
            "file": os.path.basename(path),
            "message_id": str(msg["Message-ID"]).strip(),
            "from": str(msg["From"]),
            "to": [a.addr_spec for a in msg["To"].addresses],
            "subject": str(msg["Subject"]),
            "top": msg.get_content_type(),
            "rcpt_tos": envelope["rcpt_tos"],
            "parts": parts,
        })
    for m in out:
        print(json.dumps(m))


if __name__ == "__main__":
    main()
