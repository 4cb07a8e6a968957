"""Load the spec tree: every file parsed, every problem collected, positions resolved.

``load_specs`` takes the files as bytes keyed by their path inside the specs folder, so the
same code serves the working tree (``read_tree``) and git history (the billing engine).
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Callable, Mapping, TypeVar

from pydantic import BaseModel

from . import yamlsafe
from .crosscheck import Finding, check
from .documents import DocProblem, DocumentInvalid, parse
from .errors import Problem, SpecInvalid, UserError
from .model import (BillingSettings, Catalog, DEFAULT_DIRECTORIES, DirectoriesFile, ID_PATTERN,
                    ResellerFile, TenantSpec)
from .specs import BILLING, CATALOG, DIRECTORIES, RESELLERS, TENANTS_DIR, TENANT_SUFFIX, Specs

M = TypeVar("M", bound=BaseModel)
_ID = re.compile(ID_PATTERN)
_TOP_FILES = (CATALOG, BILLING, RESELLERS, DIRECTORIES)

# Hands out a parsed model for (kind, path, bytes); the billing engine passes a cached one.
Parser = Callable[[type[M], bytes], M]


def read_tree(specs_dir: FsPath) -> dict[str, bytes]:
    """Read the spec files under ``specs_dir`` (YAML only; other files are ignored)."""
    if not specs_dir.is_dir():
        raise UserError(f"specs folder {str(specs_dir)!r} not found; run in the spec "
                        "repository, or pass -C DIR or --specs DIR")
    files: dict[str, bytes] = {}
    for path in sorted(specs_dir.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml"):
            continue
        rel = path.relative_to(specs_dir).as_posix()
        if path.stat().st_size > yamlsafe.MAX_FILE_BYTES:
            # Refuse before reading: decode() reports the size without parsing anything.
            files[rel] = b"\0" * (yamlsafe.MAX_FILE_BYTES + 1)
            continue
        files[rel] = path.read_bytes()
    return files


def load_specs(files: Mapping[str, bytes], *, label: str = "specs",
               parser: Parser[BaseModel] | None = None) -> Specs:
    """Build ``Specs`` from spec files, or raise ``SpecInvalid`` listing every problem.

    ``label`` prefixes file names in messages (the specs folder as the user named it).
    """
    do_parse: Parser[BaseModel] = parser or parse
    findings: list[Finding] = []
    positioned: list[Problem] = []

    def one(model: type[M], rel: str) -> M | None:
        try:
            return do_parse(model, files[rel])  # type: ignore[return-value]
        except DocumentInvalid as exc:
            if exc.yaml_level is not None:
                line, col = exc.yaml_level
                positioned.append(Problem(f"{label}/{rel}", line, col, exc.problems[0].message))
            else:
                findings.extend((rel, p) for p in exc.problems)
            return None

    tenants: dict[str, TenantSpec] = {}
    for rel in files:
        if rel in _TOP_FILES:
            continue
        tid = _tenant_id(rel, label, positioned)
        if tid is not None:
            parsed = one(TenantSpec, rel)
            if parsed is not None:
                tenants[tid] = parsed

    if CATALOG not in files:
        positioned.append(Problem(f"{label}/{CATALOG}", 0, 0,
                                  "missing: the catalog of products is required "
                                  "(see docs/specs.md)"))
    catalog = one(Catalog, CATALOG) if CATALOG in files else None
    billing = one(BillingSettings, BILLING) if BILLING in files else BillingSettings()
    resellers = one(ResellerFile, RESELLERS) if RESELLERS in files else ResellerFile()
    directories = one(DirectoriesFile, DIRECTORIES) if DIRECTORIES in files \
        else DEFAULT_DIRECTORIES

    if catalog is not None and billing is not None and resellers is not None \
            and directories is not None:
        specs = Specs(catalog=catalog, billing=billing, resellers=resellers,
                      directories=directories, tenants=tenants)
        # Cross-checks run on whatever parsed; a broken tenant file is simply absent.
        findings.extend(check(specs, have_directories_file=DIRECTORIES in files))
    else:
        specs = None
    problems = positioned + _resolve(findings, files, label)
    if problems or specs is None:
        raise SpecInvalid(problems)
    return specs


def _tenant_id(rel: str, label: str, problems: list[Problem]) -> str | None:
    where = f"{label}/{rel}"
    if not rel.startswith(TENANTS_DIR):
        problems.append(Problem(where, 0, 0, "unknown spec file: expected catalog.yaml, "
                                             "billing.yaml, resellers.yaml, directories.yaml "
                                             "or tenants/<id>.yaml"))
        return None
    name = rel[len(TENANTS_DIR):]
    if "/" in name:
        problems.append(Problem(where, 0, 0, "tenant files live directly in tenants/, "
                                             "not in subfolders"))
        return None
    if not name.endswith(TENANT_SUFFIX):
        problems.append(Problem(where, 0, 0, "tenant files end in .yaml; rename it"))
        return None
    tid = name[: -len(TENANT_SUFFIX)]
    if not _ID.match(tid):
        problems.append(Problem(where, 0, 0, f"tenant id {tid!r} (the file name) must be "
                                             "lower case letters, digits, '.', '_' or '-', "
                                             "starting with a letter or digit; rename the "
                                             "file"))
        return None
    return tid


def _resolve(findings: list[Finding], files: Mapping[str, bytes], label: str) -> list[Problem]:
    out = []
    for rel, problem in findings:
        data = files.get(rel, b"")
        locate = yamlsafe.locate_key if problem.at_key else yamlsafe.locate
        line, col = locate(data, problem.path) if data else (0, 0)
        out.append(Problem(f"{label}/{rel}", line, col, problem.message))
    return out


__all__ = ["DocProblem", "load_specs", "read_tree"]
