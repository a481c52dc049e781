"""Starting the Streamlit dashboard on a warehouse, for `medlb dashboard` and `medlb demo`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

from warehouse.db import ENV_VAR

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def dashboard_argv(port: int, host: str = "127.0.0.1") -> list[str]:
    """The Streamlit command line; loopback by default, so a laptop's dashboard is not open to its network."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        f"--server.port={port}",
        f"--server.address={host}",
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
    ]


def serve_dashboard(path: Path, port: int, host: str = "127.0.0.1") -> NoReturn:
    """Replace this process with the Streamlit server on the warehouse."""
    env = dict(os.environ, **{ENV_VAR: str(Path(path).resolve())})
    shown = "localhost" if host == "127.0.0.1" else host
    print(f"dashboard: http://{shown}:{port}  (warehouse {path}; Ctrl-C to stop)", flush=True)
    os.execvpe(sys.executable, dashboard_argv(port, host), env)
