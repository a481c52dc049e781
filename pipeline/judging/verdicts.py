"""A judge's verdict from its reply. The paper's prompts end every worked example with "The answer is True."
(or False), so the verdict is the last such sentence; a reply without one is "unparsed", never False."""

from __future__ import annotations

import re

VERDICT = re.compile(r"answer\s+is\W{0,3}(true|false)\b", re.IGNORECASE)


def parse_verdict(reply: str) -> str:
    """'true' | 'false' | 'unparsed'."""
    found = VERDICT.findall(reply or "")
    return found[-1].lower() if found else "unparsed"
