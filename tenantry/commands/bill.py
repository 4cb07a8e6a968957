"""``tenantry bill``: billing from the git history of the specs (SPEC §6)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

from reconciler.billing.report import BillReport
from reconciler.billing.run import BillRequest, Revisions, gc_paused, resolve, run_bill
from reconciler.errors import UserError
from reports import TEMPLATES_ENV
from tenantry.history_args import cache_dir as cache_of
from tenantry.history_args import parse_day, repo_and_specs
from tenantry.output import check_folder, check_output, err, out, out_bytes, write_atomic
from tenantry.quick_exit import keep
from tenantry.reportcache import ReportCache
from tenantry.workspace import Workspace

FORMATS = ("table", "json", "csv", "xlsx", "html", "markdown", "xero")


def run(ws: Workspace, *, commit_range: str | None, period: str | None, start: str | None,
        end: str | None, rev: str | None, fmt: str, output: str | Path | None,
        strict: bool = False, show_unbillable: bool = False,
        split: str | Path | None = None) -> int:
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "xlsx" and output is None:
        raise UserError("--format xlsx writes a workbook: give --output FILE.xlsx")
    if output is not None:
        check_output(output, "--output", ws.cwd)  # before the work, not after it
    if split is not None:
        check_folder(split, "--split", ws.cwd, create=False)
    repo, specs_rel = repo_and_specs(ws, "billing")
    if repo.head() is None and rev is None and commit_range is None:
        raise UserError(f"the git repository at {repo.root} has no commits yet; billing "
                        "reads the history of the specs, so commit them first")
    request = BillRequest(commit_range=commit_range, period=period, start=parse_day("--from", start),
                          end=parse_day("--to", end), rev=rev)
    revisions = resolve(repo, request)
    color = fmt == "table" and output is None and sys.stdout.isatty() \
        and "NO_COLOR" not in os.environ
    cache_dir = cache_of(repo)
    cache = _report_cache(cache_dir, specs_rel, request, revisions, fmt, color,
                          show_unbillable)
    # --split lays out the report itself, so it needs the report, not a cached rendering.
    hit = cache.get() if cache and split is None else None
    if hit is not None:
        raw, warnings = hit
        # Written to a file as is; only text for the terminal is decoded.
        data: str | bytes = raw if output is not None or fmt == "xlsx" else raw.decode()
    else:
        with gc_paused(freeze=True):  # the report and its rendering: ~1M objects
            report = run_bill(repo, specs_rel, request, cache_dir, revisions)
            data = _render(report, fmt, color, show_unbillable)
        keep(report)  # freed by the process's exit, not object by object (quick_exit)
        warnings = list(report.warnings)
        if cache is not None:
            cache.put(data if isinstance(data, bytes) else data.encode(), warnings)
        if split is not None:
            _write_split(report, ws.cwd / split, str(split))
    if output is not None:
        write_atomic(ws.cwd / output, data, "--output")
        err(f"wrote {output}")
    elif isinstance(data, bytes):  # JSON (xlsx is refused above), as UTF-8 already
        out_bytes(data)
    else:
        out(data.rstrip("\n"))
    if not (fmt == "table" and output is None):  # the table already shows its warnings
        for warning in warnings:
            err(f"warning: {warning}")
    if strict and warnings:
        # For CI billing jobs: the report is written, but a warning fails the job.
        err(f"error: --strict: {len(warnings)} warning{'' if len(warnings) == 1 else 's'} "
            "(see above)")
        return 1
    return 0


def _write_split(report: BillReport, folder: Path, shown: str) -> None:
    from reports import bill_split
    pages = bill_split.render(report)
    target = check_folder(folder, "--split")
    for name, html in pages.items():
        write_atomic(target / name, html, "--split")
    err(f"wrote {len(pages)} document{'' if len(pages) == 1 else 's'} to {shown}")


def _report_cache(cache_dir: Path | None, specs_rel: str, request: BillRequest,
                  revisions: Revisions, fmt: str, color: bool,
                  show_unbillable: bool = False) -> ReportCache | None:
    """The cache entry for this request, or None when its answer is not fixed by the key."""
    if cache_dir is None or os.environ.get(TEMPLATES_ENV):
        return None  # caching off, or HTML from templates outside the package
    if not (request.period or request.start or revisions.base):
        return None  # the default span ends today: it moves
    return ReportCache(cache_dir, {
        "rev": revisions.sha, "base": revisions.base, "specs": specs_rel,
        "period": request.period, "from": str(request.start), "to": str(request.end),
        "format": fmt, "color": color,
        **({"show_unbillable": True} if show_unbillable and fmt == "table" else {})})


def _render(report: BillReport, fmt: str, color: bool,
            show_unbillable: bool = False) -> str | bytes:
    if fmt == "table":
        # Colour only for a person at a terminal; files and pipes get plain, stable text.
        from reports import bill_table
        return bill_table.render(report, color=color, show_unbillable=show_unbillable)
    return _renderer(fmt)(report)


def _renderer(fmt: str) -> Callable[[BillReport], str | bytes]:
    # Renderers are imported on demand: openpyxl and jinja2 cost time to import.
    if fmt == "json":
        from reports import bill_json
        return bill_json.render_bytes  # ~70 MB on a large history: never held as text
    if fmt == "csv":
        from reports import bill_csv
        return bill_csv.render
    if fmt == "markdown":
        from reports import bill_markdown
        return bill_markdown.render
    if fmt == "html":
        from reports import bill_html
        return bill_html.render
    if fmt == "xlsx":
        from reports import bill_xlsx
        return bill_xlsx.render
    if fmt == "xero":
        from reports import bill_xero
        return bill_xero.render
    raise AssertionError(fmt)  # table is rendered by run()
