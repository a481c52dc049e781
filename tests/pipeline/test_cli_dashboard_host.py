"""`medlb dashboard` listens on loopback unless told otherwise (the Procfile opts into 0.0.0.0 itself)."""

from pipeline.cli import build_parser
from pipeline.dashboard_server import dashboard_argv


def test_dashboard_listens_on_loopback_by_default():
    args = build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1"
    assert "--server.address=127.0.0.1" in dashboard_argv(args.port, args.host)


def test_dashboard_host_flag_reaches_streamlit():
    args = build_parser().parse_args(["dashboard", "--host", "0.0.0.0", "--port", "9000"])
    argv = dashboard_argv(args.port, args.host)
    assert "--server.address=0.0.0.0" in argv
    assert "--server.port=9000" in argv
