"""Small helpers shared by several test packages."""
from __future__ import annotations

import duckdb


def query(path, sql, params=None):
    """Rows of one SQL statement on a short read-only connection (as another process would read)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
