"""CI's smoke test of the benchmark suite: ``python -m bench --quick`` runs from the
repository's top folder, measures every figure and writes its JSON. No timing is asserted
here (SPEC targets live in bench/, measured on a quiet machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FIGURES = ["startup", "git_log", "parse_history", "parse_head", "validate_cold", "plan_cold",
           "validate_warm", "plan_warm", "plan_json", "bill_cold", "bill_repeat",
           "bill_new_span", "bill_new_commit", "naive"]


@pytest.mark.slow
def test_quick_benchmark_runs_every_figure(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--runs", "1",
                           "--repo", str(tmp_path / "repo"), "--json", str(results)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads(results.read_text())
    assert doc["schema"] == "tenantry.bench/1" and doc["preset"] == "quick"
    assert doc["repository"]["tenants"] == 50 and doc["repository"]["users_at_head"] > 500
    assert [f["key"] for f in doc["figures"]] == FIGURES
    for figure in doc["figures"]:
        assert figure["errors"] == [] and figure["runs"] >= 1 and figure["median_s"] > 0, figure
    by_key = {f["key"]: f for f in doc["figures"]}
    assert by_key["validate_cold"]["floor"]["figure"].startswith("parse floor")
    assert by_key["validate_cold"]["floor"]["paired"]  # measured run for run
    assert by_key["bill_new_commit"]["ratio"] is not None and by_key["naive"]["extrapolated"]
    # The printed table has a row per figure.
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == len(FIGURES) + 1
