"""``tenantry diff``: the spec changes between two revisions and what they do to the monthly
recurring charge.

The cost follows the change: ``git diff-tree`` names the files that differ (tree objects
only), and only those are read and parsed, plus the small catalog, billing and reseller
files that price them. A pull request that edits one tenant of 1,000 parses two tenant
files. Every tenant is priced only when it has to be: when prices, rules or resellers
changed (every charge may move), or when asked (``all_tenants``, from the blob cache that
``bill`` fills).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from reconciler.billing.calendar import Clock
from reconciler.billing.history import tenant_of
from reconciler.billing.records import Broken, TenantRecord
from reconciler.billing.records_at import tenant_records
from reconciler.billing.recurring import recurring_charge, recurring_terms
from reconciler.changes.compare import TenantDelta, TenantStatus, compare
from reconciler.changes.diffmodel import Revision, SpecDiff, TenantDiff, Totals
from reconciler.changes.terms_diff import TermChange, describe
from reconciler.changes.views import TenantView, problems_of
from reconciler.errors import Problem, SpecInvalid
from reconciler.gitrepo import (
    BlobReader,
    Repo,
    changed_files,
    commit_time,
    merge_base,
    tree_blobs,
)
from reconciler.specs import (
    BILLING,
    CATALOG,
    DIRECTORIES,
    RESELLERS,
    TENANTS_DIR,
    BillingSettings,
    Catalog,
    DirectoriesFile,
    DocumentInvalid,
    ResellerFile,
    TenantSpec,
    parse,
)

M = TypeVar("M", bound=BaseModel)
TOP_FILES = (CATALOG, BILLING, RESELLERS, DIRECTORIES)
_MODELS: dict[str, type[BaseModel]] = {CATALOG: Catalog, BILLING: BillingSettings,
                                       RESELLERS: ResellerFile, DIRECTORIES: DirectoriesFile}


def resolve_pair(repo: Repo, base: str, head: str | None) -> tuple[Revision, Revision]:
    """BASE and HEAD as commits. ``A...B`` compares B with where it left A (the merge
    base), as a pull request does; ``A..B`` is the same as ``A B``."""
    if head is None and "..." in base:
        left, _, right = base.partition("...")
        right = right or "HEAD"
        head_sha = repo.resolve(right)
        left = left or "HEAD"
        return (Revision(f"merge-base({left}, {right})",
                         merge_base(repo, repo.resolve(left), head_sha)),
                Revision(right, head_sha))
    if head is None and ".." in base:
        base, _, head = base.partition("..")
    head = head or "HEAD"
    return Revision(base, repo.resolve(base)), Revision(head, repo.resolve(head))


@dataclass
class _Side:
    """One revision's pricing terms and tenant records."""

    label: str
    catalog: Catalog
    billing: BillingSettings
    resellers: ResellerFile
    models: dict[str, BaseModel | None]
    records: dict[str, TenantRecord]


def run_diff(repo: Repo, specs_rel: str, base: str, head: str | None = None, *,
             on: dt.date | None = None, all_tenants: bool = False,
             cache_dir: Path | None = None) -> SpecDiff:
    old_rev, new_rev = resolve_pair(repo, base, head)
    old, new, views, top = _read(repo, specs_rel, old_rev, new_rev)
    # Prices, rules or reseller terms moved: every tenant's charge may have moved with them.
    price_all = all_tenants or (old.catalog, old.billing, old.resellers) != \
        (new.catalog, new.billing, new.resellers)
    head_tenants = _tenant_blobs(repo, new_rev.commit, specs_rel)
    warnings: list[str] = []
    if price_all:
        _add_unchanged(repo, old, new, _tenant_blobs(repo, old_rev.commit, specs_rel),
                       head_tenants, set(views), cache_dir, warnings)
    day = on or Clock(new.billing.timezone).day_of(commit_time(repo, new_rev.commit))
    listed, form_only, unchanged_amount = _price(old, new, views, day)
    terms: list[TermChange] = []
    for name in TOP_FILES:
        if old.models[name] != new.models[name]:
            terms.extend(describe(name, old.models[name], new.models[name]))
        elif top[0].get(name) != top[1].get(name):
            form_only.append(name)
    if old.billing.currency != new.billing.currency:
        warnings.append(f"the currency changes from {old.billing.currency} to "
                        f"{new.billing.currency}; amounts before are in "
                        f"{old.billing.currency}")
    listed_ids = {t.tenant for t in listed}
    before_total = sum((t.amount_before for t in listed), Decimal(0))
    after_total = sum((t.amount_after for t in listed), Decimal(0))
    if price_all:
        before_total += unchanged_amount
        after_total += unchanged_amount
    return SpecDiff(
        base=old_rev, head=new_rev, pricing_day=day, currency=new.billing.currency,
        minor_units=new.billing.minor_units, tenants=tuple(listed),
        unchanged=sum(1 for tid in head_tenants if tid not in listed_ids),
        unchanged_amount=unchanged_amount if price_all else None, terms=tuple(terms),
        form_only=tuple(sorted(form_only)),
        totals=Totals("all" if price_all else "changed", before_total, after_total),
        warnings=tuple(warnings))


Views = dict[str, tuple[TenantView | None, TenantView | None]]


def _read(repo: Repo, specs_rel: str, old_rev: Revision,
          new_rev: Revision) -> tuple[_Side, _Side, Views, tuple[dict[str, str], dict[str, str]]]:
    """Both sides' terms and the changed tenant files, parsed: the only YAML diff reads
    unless every tenant has to be priced. Every problem of every file, or none."""
    files = changed_files(repo, old_rev.commit, new_rev.commit, specs_rel)
    tenant_files = {tid: f for f in files if (tid := tenant_of(f.path)) is not None}
    top = (tree_blobs(repo, old_rev.commit, specs_rel, TOP_FILES),
           tree_blobs(repo, new_rev.commit, specs_rel, TOP_FILES))
    wanted = {*top[0].values(), *top[1].values(),
              *(b for f in tenant_files.values() for b in (f.old, f.new) if b)}
    with BlobReader(repo) as reader:
        data = dict(reader.read(sorted(wanted)))
    problems: list[Problem] = []
    old = _side(f"{old_rev.rev}:{specs_rel}", top[0], data, problems)
    new = _side(f"{new_rev.rev}:{specs_rel}", top[1], data, problems)
    views: Views = {}
    for tid, change in sorted(tenant_files.items()):
        views[tid] = (_view(f"{old.label}/{change.path}", change.old, data, problems),
                      _view(f"{new.label}/{change.path}", change.new, data, problems))
    if problems:
        raise SpecInvalid(problems)
    for tid, (old_view, new_view) in views.items():
        if old_view is not None:
            old.records[tid] = old_view.record()
        if new_view is not None:
            new.records[tid] = new_view.record()
    return old, new, views, top


def _price(old: _Side, new: _Side, views: Views,
           day: dt.date) -> tuple[list[TenantDiff], list[str], Decimal]:
    """Each priced tenant's charge on both sides: the tenants whose file or charge changed,
    the files changed in form only, and the monthly charge of all the others."""
    old_terms = recurring_terms(old.catalog, old.billing, old.resellers, old.records)
    new_terms = recurring_terms(new.catalog, new.billing, new.resellers, new.records)
    listed: list[TenantDiff] = []
    form_only: list[str] = []
    unchanged = Decimal(0)
    for tid in sorted(old.records.keys() | new.records.keys()):
        before = recurring_charge(old_terms, tid, old.records[tid].users, day) \
            if tid in old.records else None
        after = recurring_charge(new_terms, tid, new.records[tid].users, day) \
            if tid in new.records else None
        delta = compare(tid, *views[tid]) if tid in views else \
            TenantDelta(tid, TenantStatus.CHANGED, new.records[tid].name)
        if not delta.empty or before != after:
            listed.append(TenantDiff(delta, before, after))
            continue
        if tid in views:
            form_only.append(f"{TENANTS_DIR}{tid}.yaml")
        if after is not None:
            unchanged += after.amount
    return listed, form_only, unchanged


def _side(label: str, blobs: Mapping[str, str], data: Mapping[str, bytes],
          problems: list[Problem]) -> _Side:
    models: dict[str, BaseModel | None] = {}
    for name in TOP_FILES:
        blob = blobs.get(name)
        models[name] = _parse(_MODELS[name], f"{label}/{name}", data[blob], problems) \
            if blob else None
    catalog = models[CATALOG]
    billing = models[BILLING]
    resellers = models[RESELLERS]
    # A revision before the catalog existed prices nothing; one without billing.yaml or
    # resellers.yaml has their defaults (SPEC §2).
    return _Side(label, catalog if isinstance(catalog, Catalog) else Catalog(products={}),
                 billing if isinstance(billing, BillingSettings) else BillingSettings(),
                 resellers if isinstance(resellers, ResellerFile) else ResellerFile(),
                 models, {})


def _parse(model: type[M], label: str, data: bytes, problems: list[Problem]) -> M | None:
    try:
        return parse(model, data)
    except DocumentInvalid as exc:
        problems.extend(problems_of(label, data, exc))
        return None


def _view(label: str, blob: str, data: Mapping[str, bytes],
          problems: list[Problem]) -> TenantView | None:
    if not blob:
        return None
    spec = _parse(TenantSpec, label, data[blob], problems)
    return TenantView.from_spec(spec) if spec is not None else None


def _tenant_blobs(repo: Repo, commit: str, specs_rel: str) -> dict[str, str]:
    """Tenant id -> blob at ``commit``: one tree listing, no file read."""
    files = tree_blobs(repo, commit, specs_rel, [TENANTS_DIR])
    return {tid: blob for path, blob in files.items() if (tid := tenant_of(path)) is not None}


def _add_unchanged(repo: Repo, old: _Side, new: _Side, old_blobs: dict[str, str],
                   new_blobs: dict[str, str], changed: set[str], cache_dir: Path | None,
                   warnings: list[str]) -> None:
    """Records of the tenants whose file did not change, from the blob cache (same blob on
    both sides, so one record serves both)."""
    pairs = [(tid, blob) for tid, blob in new_blobs.items() if tid not in changed]
    entries = tenant_records(repo, pairs, cache_dir)
    for tid, blob in sorted(pairs):
        entry = entries.get(blob)
        if isinstance(entry, Broken) or entry is None:
            warnings.append(f"{TENANTS_DIR}{tid}.yaml does not parse on either side "
                            f"({entry.message if entry else 'unreadable'}); not priced")
            continue
        new.records[tid] = entry
        if old_blobs.get(tid) == blob:
            old.records[tid] = entry

