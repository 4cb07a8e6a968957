"""Load the spec tree: every file parsed, every problem collected, positions resolved.

``load_specs`` takes the files as bytes keyed by their path inside the specs folder, so the
same code serves the working tree (``read_tree``) and git history (the billing engine).
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any, Mapping, TypeVar

from pydantic import BaseModel

from reconciler.errors import Problem, SpecInvalid, UserError
from reconciler.specs import yamlsafe
from reconciler.specs.cache import Entry, ParseCache, Parsed, blob_id
from reconciler.specs.crosscheck import (
    Finding,
    Known,
    TenantRefs,
    check_refs,
    directories_from_raw,
    directories_known,
    resellers_from_raw,
    resellers_known,
    skus_from_raw,
    tenant_refs,
    tenant_refs_from_json,
    tenant_refs_from_raw,
)
from reconciler.specs.directories import DEFAULT_DIRECTORIES, DirectoriesFile
from reconciler.specs.documents import DocProblem, DocumentInvalid, parse
from reconciler.specs.fields import ID_PATTERN
from reconciler.specs.model import BillingSettings, Catalog, ResellerFile, TenantSpec
from reconciler.specs.parsepool import FromMemory, gc_paused, parse_all, same
from reconciler.specs.tree import (
    BILLING,
    CATALOG,
    DIRECTORIES,
    RESELLERS,
    TENANT_SUFFIX,
    TENANTS_DIR,
    LazyTenants,
    Specs,
)
from reconciler.specs.yamlpos import position

M = TypeVar("M", bound=BaseModel)
_ID = re.compile(ID_PATTERN)
_TOP_FILES = (CATALOG, BILLING, RESELLERS, DIRECTORIES)
# Below this much uncached tenant YAML, starting a worker process costs more than it saves
# (libyaml + pydantic parse ~4-5 MB/s per core here).
PARALLEL_BYTES = 512 * 1024


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
        try:
            with path.open("rb") as handle:
                # One byte past the limit is enough for decode() to refuse the file; a huge
                # file is never read whole.
                files[rel] = handle.read(yamlsafe.MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror or exc}; check its "
                            "permissions") from None
    return files


def load_specs(files: Mapping[str, bytes], *, label: str = "specs",
               cache: ParseCache | None = None) -> Specs:
    """Build ``Specs`` from spec files, or raise ``SpecInvalid`` listing every problem.

    ``label`` prefixes file names in messages (the specs folder as the user named it).
    Every file is checked, and the cross-file checks run even when some files are broken:
    what a broken file still says (read leniently from its YAML) takes part in them.
    Tenant files are looked up in ``cache`` by content and the rest parsed on every core;
    the problems reported never depend on which were cached or who parsed them.
    """
    with gc_paused():  # ~100,000 user models stay alive: see gc_paused
        return _load(files, label, cache or ParseCache(None))


def _load(files: Mapping[str, bytes], label: str, cache: ParseCache) -> Specs:
    findings: list[Finding] = []
    positioned: list[Problem] = []
    tenant_files = _tenant_files(files, cache)

    def one(model: type[M], rel: str) -> tuple[M | None, Any]:
        """The model, or ``None`` and the parsed YAML (``None`` too if that was unreadable)."""
        entry = tenant_files.get(rel) if model is TenantSpec else None
        try:
            if isinstance(entry, Parsed):
                return entry.spec(), None  # type: ignore[return-value]
            # Not a tenant file, or an invalid one: parsed here, for every located problem.
            return parse(model, files[rel]), None
        except DocumentInvalid as exc:
            if exc.yaml_level is not None:
                line, col = exc.yaml_level
                positioned.append(Problem(f"{label}/{rel}", line, col,
                                          _one_line(exc.problems[0].message)))
            else:
                findings.extend((rel, p) for p in exc.problems)
            return None, getattr(exc, "raw", None)

    tenants: dict[str, TenantSpec | Parsed] = {}
    refs: dict[str, TenantRefs] = {}
    for rel in files:
        if rel in _TOP_FILES:
            continue
        tid, check_content = _tenant_id(rel, label, positioned)
        if tid is None:
            if check_content:
                one(TenantSpec, rel)  # misnamed, but its own problems are worth knowing
            continue
        entry = tenant_files.get(rel)
        if isinstance(entry, Parsed):
            # Valid: the cross-checks read a view of its JSON; the model is built when used
            # (validate never needs it, plan needs every one).
            tenants[tid] = entry
            built = entry.built  # parsed by this process: its model is at hand
            refs[tid] = tenant_refs(built) if built is not None \
                else tenant_refs_from_json(entry.data())
            continue
        parsed, raw = one(TenantSpec, rel)
        if parsed is not None:
            tenants[tid] = parsed
            refs[tid] = tenant_refs(parsed)
        elif (lenient := tenant_refs_from_raw(raw)) is not None:
            refs[tid] = lenient

    if CATALOG not in files:
        positioned.append(Problem(f"{label}/{CATALOG}", 0, 0,
                                  "missing: the catalog of products is required; create "
                                  "catalog.yaml with a 'products:' mapping"))
        catalog, known_skus = None, None
    else:
        catalog, raw = one(Catalog, CATALOG)
        known_skus = frozenset(catalog.products) if catalog else skus_from_raw(raw)
    billing = one(BillingSettings, BILLING)[0] if BILLING in files else BillingSettings()
    if RESELLERS in files:
        resellers, raw = one(ResellerFile, RESELLERS)
        known_resellers = resellers_known(resellers) if resellers else resellers_from_raw(raw)
    else:
        resellers, known_resellers = ResellerFile(), {}
    if DIRECTORIES in files:
        directories, raw = one(DirectoriesFile, DIRECTORIES)
        known_dirs = directories_known(directories) if directories \
            else directories_from_raw(raw)
    else:
        directories = DEFAULT_DIRECTORIES
        known_dirs = directories_known(directories)

    findings.extend(check_refs(Known(skus=known_skus, resellers=known_resellers,
                                     directories=known_dirs,
                                     have_directories_file=DIRECTORIES in files), refs))
    problems = positioned + _resolve(findings, files, label)
    if problems or catalog is None or billing is None or resellers is None \
            or directories is None:
        raise SpecInvalid(problems)
    return Specs(catalog=catalog, billing=billing, resellers=resellers,
                 directories=directories,
                 tenants=LazyTenants(tenants, sum(len(refs[t].users) for t in tenants)))


def _tenant_files(files: Mapping[str, bytes], cache: ParseCache) -> dict[str, Entry | None]:
    """Cache entries for every file that is not a top-level one, parsing the missing."""
    blobs = {rel: blob_id(data) for rel, data in files.items() if rel not in _TOP_FILES}
    wanted: dict[str, bytes] = {}
    for rel, blob in blobs.items():
        if blob not in wanted and cache.get(blob) is None:
            wanted[blob] = files[rel]
    if wanted:
        parsed = parse_all(list(wanted), FromMemory(wanted), cache, same,
                           parallel=sum(map(len, wanted.values())) >= PARALLEL_BYTES)
        for blob, entry in parsed.items():
            cache.remember(blob, entry)  # parsed in a worker: known here from now on
    return {rel: cache.get(blob) for rel, blob in blobs.items()}


def _tenant_id(rel: str, label: str, problems: list[Problem]) -> tuple[str | None, bool]:
    """The tenant id for a file under tenants/, and whether to check a misnamed one anyway."""
    where = f"{label}/{rel}"
    if not rel.startswith(TENANTS_DIR):
        fixed = rel.removesuffix(".yml") + ".yaml"
        if fixed in _TOP_FILES:
            problems.append(Problem(where, 0, 0, f"spec files end in .yaml; rename it to "
                                                 f"{fixed}"))
        else:
            problems.append(Problem(where, 0, 0, "unknown spec file: expected catalog.yaml, "
                                                 "billing.yaml, resellers.yaml, "
                                                 "directories.yaml or tenants/<id>.yaml; move "
                                                 "or remove it"))
        return None, False
    name = rel[len(TENANTS_DIR):]
    if "/" in name:
        problems.append(Problem(where, 0, 0, "tenant files live directly in tenants/, "
                                             "not in subfolders; move it"))
        return None, False
    if not name.endswith(TENANT_SUFFIX):
        stem = name.rsplit(".", 1)[0]
        problems.append(Problem(where, 0, 0, f"tenant files end in .yaml; rename it to "
                                             f"{TENANTS_DIR}{stem}{TENANT_SUFFIX}"))
        return None, True
    tid = name[: -len(TENANT_SUFFIX)]
    if not _ID.match(tid):
        hint = f" (e.g. {tid.lower()}{TENANT_SUFFIX})" if _ID.match(tid.lower()) else ""
        problems.append(Problem(where, 0, 0, f"tenant id {tid!r} (the file name) must be "
                                             "lower case letters, digits, '.', '_' or '-', "
                                             "starting with a letter or digit; rename the "
                                             f"file{hint}"))
        return None, True
    return tid, True


def _resolve(findings: list[Finding], files: Mapping[str, bytes], label: str) -> list[Problem]:
    out = []
    for rel, problem in findings:
        data = files.get(rel, b"")
        line, col = position(data, problem.path, at_key=problem.at_key) if data else (0, 0)
        out.append(Problem(f"{label}/{rel}", line, col, _one_line(problem.message)))
    return out


def _one_line(message: str) -> str:
    return " ".join(message.split())


__all__ = ["DocProblem", "load_specs", "read_tree"]
