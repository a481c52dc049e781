"""The dashboard deploys without torch: importing it, and running every page, loads neither torch nor
transformers. Checked in a fresh interpreter, since this test process may have them loaded already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "accelerate", "gguf")

SCRIPT = """
import json, os, sys
from streamlit.testing.v1 import AppTest
import dashboard.page_frames.accuracy, dashboard.page_frames.beyond_accuracy, dashboard.charts, dashboard.data, dashboard.export, dashboard.widgets, warehouse.queries
app = AppTest.from_file(os.path.join("dashboard", "app.py"), default_timeout=120).run()
errors = [e.message for e in app.exception]
for page in ("compare", "history", "questions", "answers", "runs"):
    app.switch_page(f"app_pages/{page}.py").run()
    errors += [e.message for e in app.exception]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps({"errors": errors, "heavy": heavy, "tables": len(app.dataframe)}))
"""


def test_dashboard_never_imports_torch_or_transformers(fixture_path):
    env = {"MEDLB_WAREHOUSE": str(fixture_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n" + SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert result["tables"] == 1  # the runs page ran and showed its table
    assert result["heavy"] == []


STATS_SCRIPT = """
import json, sys
import dashboard.charts, dashboard.data, dashboard.export, dashboard.widgets, warehouse.queries
import dashboard.page_frames.accuracy, dashboard.page_frames.beyond_accuracy, dashboard.page_frames.summaries
import dashboard.page_frames.verdicts, dashboard.page_frames.methodology, dashboard.page_frames.matrix
before = sorted(m for m in ("scipy.stats", "scipy.special", "statsmodels") if m in sys.modules)
from pipeline import metrics
low, high = metrics.wilson_interval(0, 25)
p = metrics.holm([0.01, 0.04])
print(json.dumps({"before": before, "wilson": [low, high], "holm": p, "after": "scipy.stats" in sys.modules}))
"""


def test_the_dashboard_modules_import_no_statistics_library_until_a_test_runs(fixture_path):
    """scipy.stats and statsmodels take about 1.5 s to import (speed/page_speed.py): the dashboard's modules
    import them only when a statistic is computed, which then comes from them as before (0/25: Wilson's
    [0, 13.3%], scipy's own figure; Holm on two p-values: 0.02 and 0.04)."""
    from scipy import stats

    done = subprocess.run(
        [sys.executable, "-c", STATS_SCRIPT],
        cwd=ROOT,
        env={"MEDLB_WAREHOUSE": str(fixture_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["before"] == []
    wilson = stats.binomtest(0, 25).proportion_ci(method="wilson")
    assert result["wilson"] == [wilson.low, wilson.high] and round(wilson.high, 3) == 0.133
    assert result["holm"] == [0.02, 0.04] and result["after"] is True
