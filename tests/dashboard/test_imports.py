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
