"""``tenantry schema [DIR]``: JSON Schemas for editors (yaml-language-server)."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.specs.documents import FILE_MODELS
from tenantry.output import check_folder, out, write_atomic
from tenantry.workspace import Workspace


def run(ws: Workspace, target: Path | None) -> int:
    folder = check_folder(target or Path("schemas"), "DIR", ws.cwd)
    for kind, model in FILE_MODELS.items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"tenantry {kind} spec"
        path = folder / f"{kind}.schema.json"
        write_atomic(path, json.dumps(schema, indent=2, sort_keys=True) + "\n", "DIR")
        out(f"wrote {path}")
    out("Point your editor at them, e.g. first line of a tenant file:\n"
        f"# yaml-language-server: $schema={folder / 'tenant.schema.json'}")
    return 0
