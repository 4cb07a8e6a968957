"""`tenantry schema`: the JSON Schemas editors use must accept our specs and catch typos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from conftest import Cli

ROOT = Path(__file__).parent.parent
KIND = {"catalog.yaml": "catalog", "billing.yaml": "billing", "resellers.yaml": "resellers",
        "directories.yaml": "directories"}


def _as_json(path: Path) -> Any:
    # What an editor's YAML language server sees: dates and decimals as strings/numbers.
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


def test_schemas_accept_the_example_specs_and_reject_unknown_keys(tmp_path: Path,
                                                                   cli: Cli) -> None:
    result = cli("-C", str(tmp_path), "schema", "out")
    assert result.code == 0, result.err
    schemas = {p.name.split(".")[0]: json.loads(p.read_text())
               for p in (tmp_path / "out").glob("*.schema.json")}
    assert set(schemas) == {"catalog", "billing", "resellers", "directories", "tenant"}
    checked = 0
    for path in sorted((ROOT / "specs").rglob("*.yaml")):
        kind = KIND.get(path.name, "tenant")
        jsonschema.validate(_as_json(path), schemas[kind])
        checked += 1
    assert checked >= 5
    contoso = _as_json(ROOT / "specs/tenants/contoso.yaml")
    contoso["users"]["alice"]["dispaly_name"] = "typo"
    try:
        jsonschema.validate(contoso, schemas["tenant"])
    except jsonschema.ValidationError as exc:
        assert "dispaly_name" in exc.message
    else:
        raise AssertionError("the tenant schema accepted an unknown key")
