"""Who may write, and who imports whom: the warehouse owns every write, and no module pair imports each other."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRITE_SQL = re.compile(r"\b(INSERT INTO|UPDATE \w+ SET|DELETE FROM|COMMIT|ROLLBACK|BEGIN TRANSACTION)\b")
SOURCES = sorted(
    str(p.relative_to(ROOT))
    for folder in ("pipeline", "dashboard", "speed", "scripts")
    for p in (ROOT / folder).rglob("*.py")
)


@pytest.mark.parametrize("source", SOURCES)
def test_no_write_sql_outside_the_warehouse(source):
    found = WRITE_SQL.findall((ROOT / source).read_text(encoding="utf-8"))
    assert found == [], f"{source} writes SQL itself ({found}); add a warehouse.writer function instead"


def imports_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_migrate_does_not_import_db():
    loaded = imports_after("warehouse.migrate")
    assert "warehouse.db" not in loaded and "warehouse.sql" in loaded


def test_demo_does_not_import_the_cli():
    loaded = imports_after("pipeline.demo")
    assert "pipeline.cli" not in loaded and "pipeline.dashboard_server" in loaded


def test_every_statement_file_holds_one_statement():
    for path in sorted((ROOT / "warehouse" / "sql").glob("*/*.sql")):
        body = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
        assert body.strip().rstrip(";").count(";") == 0, f"{path.name} holds more than one statement"
