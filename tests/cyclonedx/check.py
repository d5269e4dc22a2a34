"""Reads a CycloneDX 1.6 JSON BOM back with cyclonedx-python-lib, after validating it against
the library's own 1.6 JSON schema, and prints what it read as JSON (components, vulnerabilities,
analysis states, affected refs) for the test to compare with what patchplan meant to write.

Usage: python3 tests/cyclonedx/check.py FILE.cdx.json  (exit 1 on any validation error).
Needs `cyclonedx-python-lib[json-validation]` (.ci/run installs it when missing).
"""
import json
import pathlib
import sys

from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator


def walk(components):
    for c in components:
        yield c
        yield from walk(c.components)


def main(path):
    text = pathlib.Path(path).read_text()
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if errors:
        print(f"{path}: invalid CycloneDX 1.6: {errors}")
        return 1
    bom = Bom.from_json(json.loads(text))
    components = list(walk(bom.components))
    refs = {c.bom_ref.value for c in components}
    vulns = list(bom.vulnerabilities)
    summary = {
        "spec": "1.6",
        "serial": str(bom.serial_number),
        "components": len(components),
        "purls": sorted(str(c.purl) for c in components if c.purl is not None),
        "vulnerabilities": len(vulns),
        "ids": sorted({v.id for v in vulns}),
        "states": sorted(
            {v.analysis.state.value for v in vulns if v.analysis and v.analysis.state}
        ),
        "dangling": sorted(
            a.ref for v in vulns for a in v.affects if a.ref not in refs
        ),
        "affects": sum(len(v.affects) for v in vulns),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
