"""The benchmark suite: ``python -m bench [--quick | --large]``.

Builds (or reuses) a generated spec repository, measures ``validate``, ``plan`` and ``bill``
against their floors, and prints one table: each figure's median over several runs and its
spread, CPU time, peak memory, floor, ratio, target and verdict. The same goes to a JSON file.
It exits 1 when a command fails; targets are reported, not enforced, unless ``--check``.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
import zoneinfo
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import gen_history
from bench.floors import naive_replay, parse_floor_head, parse_floor_history
from bench.historylib import LOG_RAW_ARGS, commit_on, git
from bench.measure import Figure, Sample, load, machine, run, start, timed

PRESETS: dict[str, dict[str, int]] = {
    # name: repository (tenants x users x commits, merge every), runs, cold bill runs, and
    # the commits of the naive replay's slice
    "quick": {"tenants": 50, "users": 20, "commits": 300, "merge_every": 50, "runs": 3,
              "cold_runs": 2, "naive": 4},
    "default": {"tenants": 1000, "users": 100, "commits": 5000, "merge_every": 200, "runs": 5,
                "cold_runs": 3, "naive": 5},
    "large": {"tenants": 3000, "users": 100, "commits": 15000, "merge_every": 200, "runs": 3,
              "cold_runs": 2, "naive": 3},
}
GB = 10**9
# A figure, how to measure it once, and what to do before each run.
Step = tuple[Figure, Callable[[int], Sample], Callable[[], None]]


def nothing() -> None:
    pass


def tenantry_exe() -> list[str]:
    beside = Path(sys.executable).parent / "tenantry"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("tenantry")
    return [found] if found else [sys.executable, "-m", "tenantry"]


def last_closed_period(repo: Path) -> str:
    """The period before the one containing today, per billing.yaml at HEAD (SPEC 6.1)."""
    from reconciler.specs import BillingSettings, parse

    settings = parse(BillingSettings, git(repo, "show", "HEAD:specs/billing.yaml").encode())
    day = dt.datetime.now(zoneinfo.ZoneInfo(settings.timezone)).date()

    def end_day(year: int, month: int) -> int:
        last = calendar.monthrange(year, month)[1]
        return last if settings.close_day == "last" else min(int(settings.close_day), last)

    year, month = day.year, day.month
    if day.day > end_day(year, month):  # today is already in next month's period
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year:04d}-{month:02d}"


def ensure_repo(repo: Path, params: dict[str, int]) -> float | None:
    """Generate the repository unless one with these parameters is there; generation time."""
    wanted = {k: params[k] for k in ("tenants", "users", "commits", "merge_every")}
    marker = repo / ".git" / "tenantry-bench.json"
    try:
        if json.loads(marker.read_text()) == wanted:
            return None
    except (OSError, ValueError):
        pass
    shutil.rmtree(repo, ignore_errors=True)
    print(f"generating {repo} ({wanted['tenants']} tenants x {wanted['users']} users x "
          f"{wanted['commits']} commits) ...", flush=True)
    start = time.perf_counter()
    gen_history.generate(repo, seed=1, end=dt.datetime.now(dt.UTC).replace(
        minute=0, second=0, microsecond=0), **wanted)
    marker.write_text(json.dumps(wanted))
    return time.perf_counter() - start


class Suite:
    def __init__(self, repo: Path, runs: int, scratch: Path) -> None:
        self.repo, self.runs, self.scratch = repo, runs, scratch
        self.cache = repo / ".tenantry" / "cache"
        self.exe = tenantry_exe()
        self.figures: list[Figure] = []

    def tenantry(self, *args: str) -> list[str]:
        return [*self.exe, "-C", str(self.repo), *args]

    def measure(self, figure: Figure, runs: int, once: Callable[[int], Sample],
                before: Callable[[], None] = lambda: None) -> Figure:
        print(f"  {figure.label} ...", flush=True)
        started = load()
        for number in range(runs):
            before()
            figure.samples.append(once(number))
        figure.load = (started, load())
        if figure.failed:
            print(f"    FAILED: {figure.failed[0].stderr.strip()[-500:]}", flush=True)
        self.figures.append(figure)
        return figure

    def rounds(self, steps: Sequence[Step], runs: int) -> None:
        """Measure several figures run for run, in turn (``Figure.paired`` relies on it)."""
        print("  " + "; ".join(figure.label for figure, _, _ in steps) + " ...", flush=True)
        started = load()
        for number in range(runs):
            for figure, once, before in steps:
                before()
                figure.samples.append(once(number))
        for figure, _, _ in steps:
            figure.load = (started, load())
            if figure.failed:
                print(f"    FAILED: {figure.failed[0].stderr.strip()[-500:]}", flush=True)
            self.figures.append(figure)

    def command(self, *args: str, stdout: Path | None = None) -> Callable[[int], Sample]:
        return lambda _: run(self.tenantry(*args), stdout=stdout)

    def drop(self, *parts: str) -> Callable[[], None]:
        """Before each run: remove these cache folders ("" for the whole cache)."""
        def remove() -> None:
            for part in parts:
                shutil.rmtree(self.cache.joinpath(part), ignore_errors=True)
        return remove


def measure_all(suite: Suite, params: dict[str, int], period: str) -> None:
    runs, repo = suite.runs, suite.repo
    out = suite.scratch / "bill.json"
    bill = ("bill", "--period", period, "--format", "json", "--output", str(out))

    suite.measure(Figure("startup", "tenantry --help", target=0.3, absolute=True), runs,
                  lambda _: run([*suite.exe, "--help"]))
    log = suite.measure(Figure("git_log", "git log --raw of specs/ (first parent)"), runs,
                        lambda _: run(["git", "-C", str(repo), *LOG_RAW_ARGS]))
    history: dict[str, Any] = {}

    def parse_history() -> float:
        history.update(zip(("seconds", "versions", "bytes"), parse_floor_history(repo)))
        return float(history["seconds"])

    every = suite.measure(Figure("parse_history", "parse floor: every tenant file version in "
                                 "the history, one core", note="in-process, GC on"),
                          1, lambda _: floor_sample(parse_history))
    every.note += f"; {history['versions']:,} versions, {history['bytes'] / 1e6:,.1f} MB"

    # Figures and their floors are measured in rounds, one run of each in turn.
    head = Figure("parse_head", "parse floor: HEAD's tenant files, one core",
                  note="in-process, GC on, results dropped")
    validate_cold = Figure("validate_cold", "validate, cold (parse cache emptied)",
                           paired=head, target=0.6)
    plan_cold = Figure("plan_cold", "plan (text), local directory, every user a create, "
                       "cold", paired=validate_cold, target=1.5, rss_limit=GB)
    suite.rounds([(head, lambda _: floor_sample(lambda: parse_floor_head(repo)), nothing),
                  (validate_cold, suite.command("validate"), suite.drop("parsed")),
                  (plan_cold, suite.command("plan"), suite.drop("parsed"))], runs)
    validate_warm = Figure("validate_warm", "validate, warm (files unchanged since the last "
                           "run)", target=1.5, absolute=True)
    suite.rounds([
        (validate_warm, suite.command("validate"), nothing),
        (Figure("plan_warm", "plan (text), warm", paired=validate_warm, target=1.5,
                rss_limit=GB), suite.command("plan"), nothing),
        (Figure("plan_json", "plan --format json (streamed), warm", paired=validate_warm,
                rss_limit=GB), suite.command("plan", "--format", "json"), nothing)], runs)

    cold = suite.measure(
        Figure("bill_cold", f"bill --period {period}, cold (every cache emptied)",
               floor_value=every.median, floor_label=every.label, target=1.3,
               rss_limit=3 * GB // 2),
        params["cold_runs"], suite.command(*bill), suite.drop(""))
    suite.measure(Figure("bill_repeat", "bill, the same report again (report cache)",
                         floor_value=log.median, floor_label=log.label, target=2.0),
                  runs, suite.command(*bill))
    base = git(repo, "rev-parse", "HEAD").strip()
    tenant = git(repo, "show", "HEAD:specs/tenants/t0001.yaml").encode()

    def new_commit(number: int) -> Sample:
        starter = (f"  bench.starter{number}:\n    upn: bench.starter{number}@t0001.example\n"
                   f"    display_name: Bench Starter {number}\n    skus: [M365-BP]\n").encode()
        sha = commit_on(repo, base, "specs/tenants/t0001.yaml", tenant + starter,
                        f"bench: starter {number} ({time.time_ns()})")
        return run(suite.tenantry("bill", "--rev", sha, *bill[1:]))

    span = Figure("bill_new_span", "bill, warm, a span never billed before (history "
                  "snapshot; report cache emptied)", floor_value=log.median,
                  floor_label=log.label, target=2.5, absolute=True, rss_limit=3 * GB // 2)
    suite.rounds([(span, suite.command(*bill), suite.drop("reports-v1")),
                  (Figure("bill_new_commit", "bill after one new commit, warm", paired=span,
                          target=1.2, rss_limit=3 * GB // 2), new_commit, nothing)], runs)

    naive = Figure("naive", f"naive: check out each commit and parse the whole tree "
                   f"(slice of {params['naive']}, extrapolated)", floor_value=cold.median,
                   floor_label=cold.label)
    print(f"  {naive.label} ...", flush=True)
    started = load()
    samples, commits = naive_replay(repo, params["naive"])
    naive.samples, naive.load = samples, (started, load())
    naive.extrapolated = statistics.mean(s.wall for s in samples) * commits
    naive.note = (f"{statistics.mean(s.wall for s in samples):.2f} s per commit x {commits} "
                  "first-parent commits; ratio: how many times the cold bill it costs")
    suite.figures.append(naive)


def floor_sample(measure: Callable[[], float]) -> Sample:
    """A floor that times only the part it is about (reading the files is not timed)."""
    seconds: list[float] = []
    sample = timed(lambda: seconds.append(measure()))
    return Sample(seconds[0], sample.cpu, 0)


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} s" if value >= 100 else f"{value:.2f} s"


def table(figures: Sequence[Figure]) -> str:
    rows = ["| figure | median | spread | CPU | peak RSS | floor | ratio | target | verdict |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for f in figures:
        spread = f"{f.spread[0]:.2f}-{f.spread[1]:.2f}" if f.spread and len(f.samples) > 1 \
            and f.extrapolated is None else ""
        rows.append(" | ".join([
            f"| {f.label}", fmt_seconds(f.median) + (" (extrap.)" if f.extrapolated else ""),
            spread, fmt_seconds(f.cpu), f"{f.rss / 1e6:,.0f} MB" if f.rss else "-",
            fmt_seconds(f.floor), f"{f.ratio:.2f}x" if f.ratio is not None else "-",
            f.target_text(), f.verdict]) + " |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="50 tenants x 20 users x 300 commits: checks that all runs (CI)")
    size.add_argument("--large", action="store_true",
                      help="3,000 tenants x 100 users x 15,000 commits")
    ap.add_argument("--runs", type=int, help="runs per figure (default: the preset's)")
    ap.add_argument("--repo", type=Path, help="the generated repository (default: in the "
                    "temporary folder; reused when generated with the same parameters)")
    ap.add_argument("--json", type=Path, help="where the results go (default: next to the "
                    "repository)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    preset = "quick" if args.quick else "large" if args.large else "default"
    params = PRESETS[preset]
    start()  # before this process holds anything: see bench.spawner
    repo = (args.repo or Path(tempfile.gettempdir()) / f"tenantry-bench-{preset}").resolve()
    generated = ensure_repo(repo, params)
    period = last_closed_period(repo)
    commits = int(git(repo, "rev-list", "--count", "HEAD"))
    first_parent = int(git(repo, "rev-list", "--count", "--first-parent", "HEAD"))
    users = sum(p.read_text().count("    upn: ") for p in (repo / "specs/tenants").glob("*"))
    print(f"repository {repo}: {commits} commits ({first_parent} first-parent), HEAD "
          f"{len(list((repo / 'specs/tenants').glob('*')))} tenants, {users} users; "
          f"billing period {period}; load average {load():.2f}", flush=True)

    with tempfile.TemporaryDirectory(prefix="tenantry-bench-") as scratch:
        suite = Suite(repo, args.runs or params["runs"], Path(scratch))
        began = dt.datetime.now(dt.UTC)
        measure_all(suite, params, period)

    print()
    print(table(suite.figures))
    result = {
        "schema": "tenantry.bench/1", "preset": preset, "date": began.isoformat(),
        "machine": machine(), "runs": suite.runs,
        "repository": {"path": str(repo), **{k: params[k] for k in ("tenants", "users",
                                                                    "commits")},
                       "first_parent_commits": first_parent, "users_at_head": users,
                       "generated_s": generated, "period": period},
        "figures": [f.as_json() for f in suite.figures],
    }
    target = args.json or repo.parent / f"tenantry-bench-{preset}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nload average 1 min: {min(f.load[0] for f in suite.figures):.2f}-"
          f"{max(max(f.load) for f in suite.figures):.2f} while measuring; results: {target}")
    failed = [f.key for f in suite.figures if f.failed]
    if failed:
        print(f"error: commands failed in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 1 if args.check and any(f.verdict == "FAIL" for f in suite.figures) else 0
