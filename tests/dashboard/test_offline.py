"""Nothing leaves the machine and nothing invites a deploy: the favicon is drawn locally, and Streamlit's
toolbar is a viewer's (no "Deploy" button)."""

from __future__ import annotations

import streamlit
from streamlit import config
from streamlit.commands.page_config import _get_favicon_string

from tests.helpers import APP


def test_the_favicon_is_an_emoji_drawn_from_a_data_url(app, monkeypatch):
    """Streamlit's front end fetches a ":material/...:" favicon from fonts.gstatic.com; an "emoji:" one
    becomes a data: URL in the browser. Every run of the app sets one, so page icons never stand in."""
    icons = []
    original = streamlit.set_page_config

    def recording(*args, **kwargs):
        icons.append(kwargs.get("page_icon"))
        return original(*args, **kwargs)

    monkeypatch.setattr(streamlit, "set_page_config", recording)
    app.run()
    assert not app.exception
    assert icons and all(_get_favicon_string(icon).startswith("emoji:") for icon in icons), icons


def test_streamlit_reads_the_viewer_toolbar_next_to_the_app(monkeypatch):
    """dashboard/.streamlit/config.toml is the script-level config: read wherever the server starts."""
    monkeypatch.setattr(config, "_main_script_path", str(APP))
    try:
        config.get_config_options(force_reparse=True)
        assert config.get_option("client.toolbarMode") == "viewer"
    finally:
        monkeypatch.undo()
        config.get_config_options(force_reparse=True)
