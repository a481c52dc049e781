"""What the fuzz targets share: hostile JSON values, record mutations, file-byte damage, the property's check
of an error message, and the CI budget.

A mutation is data (a small frozen description of what was changed), so a failing example prints as
something a person can read and paste into a regression test.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from warehouse.errors import MedlbError

# CI: a fixed budget per target and no randomness between runs (derandomize: the examples come from a
# seed derived from the test itself), no example database, so every CI run tries the same inputs.
CI_EXAMPLES = {"loaders": 50, "lm_eval": 40, "bundles": 30, "dashboard": 6}


def ci_settings(target: str) -> settings:
    return settings(
        max_examples=CI_EXAMPLES[target],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------- hostile values

DIGITS_NOT_ASCII = ("²", "١", "٣", "𝟙", "Ⅻ", "¹²")  # str.isdigit() or isnumeric() is true, int() may refuse
TEXTS = (
    "",
    " \t\n",
    "a\ud800b",  # a lone surrogate: valid JSON ("\ud800"), not encodable as UTF-8
    "\udfff",
    "nul\x00byte",
    "line\u2028sep",
    "\ufeffbom",
    "x" * 100_001,  # one over files.MAX_TEXT_CHARS
    "🙂" * 50,
    "NaN",
    "-1",
    "1e309",
    "[x](http://evil.example)",
    "'; DROP TABLE questions; --",
    *DIGITS_NOT_ASCII,
)
NUMBERS = (
    0,
    -1,
    1,
    2,
    99,
    2**63,
    -(2**63) - 1,
    10**400,  # float() of it overflows
    0.5,
    -0.0,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
)


def scalars() -> st.SearchStrategy[Any]:
    """Hostile texts and numbers twice as often as the rest: they are where loaders break."""
    return st.one_of(
        st.sampled_from(TEXTS),
        st.sampled_from(TEXTS),
        st.sampled_from(NUMBERS),
        st.sampled_from(NUMBERS),
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=20),
    )


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, hostile scalars at the leaves, lists and objects a few levels deep."""
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=8,
    )


def dumps(value: Any, indent: int | None = None) -> str:
    """JSON as Python writes it: NaN and Infinity included (as lm-eval's json.dump would), non-ASCII as
    escapes, so a lone surrogate reaches the file as the valid JSON escape "\\ud800"."""
    return json.dumps(value, indent=indent)


# ---------------------------------------------------------------------- mutations of a JSON record


def field_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and list indices) into a JSON value, the root excluded."""
    found = []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return found
    for key, child in items:
        found.append((*prefix, key))
        found.extend(field_paths(child, (*prefix, key)))
    return found


def get_at(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated(draw, record: Any, max_changes: int = 2, focus=None) -> tuple[Any, list[str]]:
    """(a deep copy of `record` with one or two fields replaced, removed or duplicated, what was done).

    Leaves are picked more often than containers, and mostly get a hostile scalar: that is where a loader
    meets a wrong type or a bad string; a container replaced whole tests the shape checks. `focus(path)`,
    where given, keeps the changes to the paths it accepts (the fields a reader uses).
    """
    record = json.loads(json.dumps(record))
    done = []
    for _ in range(draw(st.integers(1, max_changes))):
        paths = [p for p in field_paths(record) if focus is None or focus(p)]
        if not paths:
            break
        leaves = [p for p in paths if not isinstance(get_at(record, p), (dict, list))]
        path = draw(st.sampled_from(leaves if leaves and draw(st.integers(0, 3)) else paths))
        parent, key = get_at(record, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "replace", "replace", "spoil", "remove", "duplicate"]))
        if action == "replace":
            parent[key] = draw(st.one_of(scalars(), scalars(), scalars(), json_values()))
            done.append(f"{list(path)} = {parent[key]!r:.80}")
        elif action == "spoil":  # keep the value, make it worse: surrogate, NUL, oversized, foreign digits
            spoiled = draw(st.sampled_from(["\ud800", "\x00", "x" * 100_001, "²", "١٢"]))
            parent[key] = f"{parent[key]}{spoiled}" if isinstance(parent[key], str) else spoiled
            done.append(f"{list(path)} += {spoiled!r:.20}")
        elif action == "remove":
            del parent[key]
            done.append(f"del {list(path)}")
        elif isinstance(parent, list):  # a list item twice: a repeated question, option or answer
            parent.insert(key, json.loads(json.dumps(parent[key])))
            done.append(f"dup {list(path)}")
        else:
            done.append(f"dup {list(path)} (object: kept once)")
    return record, done


# ---------------------------------------------------------------------- damage to a file's bytes


@st.composite
def damaged_bytes(draw, data: bytes) -> tuple[bytes, str]:
    """The file's bytes with one kind of damage: a bad UTF-8 byte, truncation, a repeated or dropped line."""
    kind = draw(st.sampled_from(["bad_utf8", "truncate", "repeat_line", "drop_line", "crlf", "bom"]))
    at = draw(st.integers(0, max(len(data) - 1, 0)))
    if kind == "bad_utf8":
        byte = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"]))
        return data[:at] + byte + data[at:], f"{kind} {byte!r} at {at}"
    if kind == "truncate":
        return data[:at], f"{kind} at {at}"
    lines = data.split(b"\n")
    line = draw(st.integers(0, len(lines) - 1))
    if kind == "repeat_line":
        return b"\n".join([*lines[: line + 1], *lines[line:]]), f"{kind} {line}"
    if kind == "drop_line":
        return b"\n".join(lines[:line] + lines[line + 1 :]), f"{kind} {line}"
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n"), kind
    return b"\xef\xbb\xbf" + data, kind


# ---------------------------------------------------------------------- the property's verdict on an error


def error_problems(error: BaseException, *names: str) -> list[str]:
    """Why `error` is not the clear error the property asks for: a MedlbError on one line that names each of
    `names` (the file, and where the format has them the row and the field)."""
    if not isinstance(error, MedlbError):
        return [f"not a MedlbError: {type(error).__name__}: {error!s:.300}"]
    text = str(error)
    problems = []
    if "\n" in text.strip():
        problems.append(f"message is not one line: {text[:300]!r}")
    problems.extend(f"message does not name {name!r}: {text[:300]!r}" for name in names if name not in text)
    return problems
