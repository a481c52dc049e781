"""CSV export of exactly the table shown, safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return is run as a formula by Excel, LibreOffice
and Google Sheets (CSV injection). Such text cells get a leading single quote, which spreadsheets show as
text. Only text is touched: numbers stay numbers, so a negative difference is still -0.25. Header cells are
neutralised like data cells (a column can be named after data, such as a task or a slice).

The text starts with a UTF-8 byte-order mark: without it Excel on Windows reads the file as the local code
page and shows ·, ± and ≈ as mojibake. Numbers are written without grouping, and no cell is shaped like
a date ("9/9" coverage is written "9 of 9" by the pages).
"""

from __future__ import annotations

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"  # the same characters, as a regex class
LIST_SEPARATOR = "; "
BOM = "\ufeff"


def neutralise(column: pl.Expr) -> pl.Expr:
    """Prefix a single quote to text that a spreadsheet would run as a formula."""
    return pl.when(column.str.contains(_FORMULA_PATTERN)).then(pl.lit("'") + column).otherwise(column)


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text columns neutralised, list columns joined into text (CSV has no lists), numbers untouched."""
    fixes = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            fixes.append(neutralise(pl.col(name).cast(pl.List(pl.String)).list.join(LIST_SEPARATOR)).alias(name))
        elif dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
            fixes.append(neutralise(pl.col(name).cast(pl.String)).alias(name))
    return frame.with_columns(fixes) if fixes else frame


def safe_header(name: str) -> str:
    return "'" + name if name.startswith(FORMULA_STARTS) else name


def to_csv(frame: pl.DataFrame) -> str:
    """The frame as CSV text (a byte-order mark, the header, then rows, '\\n' line ends) with formula-like
    text neutralised in the header and the cells."""
    safe = spreadsheet_safe(frame)
    safe = safe.rename({name: safe_header(name) for name in safe.columns})
    return BOM + safe.write_csv(line_terminator="\n")
