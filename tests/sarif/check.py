"""Validates SARIF logs against the vendored SARIF 2.1.0 JSON schema (draft-04).

Usage: python3 tests/sarif/check.py FILE.sarif...  Exit 0 when every file is valid; else each
problem is printed with its JSON path and the exit code is 1. Needs Python's `jsonschema`
(.ci/run installs it when missing).
"""
import json
import pathlib
import sys

import jsonschema

SCHEMA = pathlib.Path(__file__).with_name("sarif-schema-2.1.0.json")


def main(paths):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema)
    bad = 0
    for path in paths:
        log = json.loads(pathlib.Path(path).read_text())
        for error in validator.iter_errors(log):
            bad += 1
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"{path}: /{where}: {error.message}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
