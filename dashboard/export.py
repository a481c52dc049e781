"""CSV export of exactly the table shown, safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return is run as a formula by Excel, LibreOffice
and Google Sheets (CSV injection). Such text cells get a leading single quote, which spreadsheets show as
text. Only text is touched: numbers stay numbers, so a negative difference is still -0.25.
"""

from __future__ import annotations

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"  # the same characters, as a regex class
LIST_SEPARATOR = "; "


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


def to_csv(frame: pl.DataFrame) -> str:
    """The frame as CSV text (header, then rows, '\\n' line ends) with formula-like text neutralised."""
    return spreadsheet_safe(frame).write_csv(line_terminator="\n")
