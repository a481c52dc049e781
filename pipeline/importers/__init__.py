"""Bring results produced elsewhere into the warehouse (lm-evaluation-harness logs; see also pipeline.bundles)."""

from warehouse.imports import ImportReport

__all__ = ["ImportReport"]
