"""What an import did, for the CLI to print and tests to check: counts, skips and refusals."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportReport:
    runs_added: int = 0
    predictions_added: int = 0
    duplicates: int = 0  # predictions (or whole runs' rows) already in the warehouse: nothing written
    skipped_tasks: list[str] = field(default_factory=list)  # tasks the warehouse does not know
    unmatched_samples: int = 0  # samples that match no known question by content
    unmatched_by_task: dict[str, int] = field(default_factory=dict)
    refused: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason): nothing written from it
    warnings: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)  # every run the import touched, new or not

    def summary(self) -> str:
        lines = [
            f"runs added: {self.runs_added}, predictions added: {self.predictions_added}, "
            f"already present: {self.duplicates}"
        ]
        if self.run_ids:
            lines.append("runs: " + ", ".join(self.run_ids))
        if self.skipped_tasks:
            lines.append("skipped unknown tasks: " + ", ".join(self.skipped_tasks))
        if self.unmatched_samples:
            per_task = ", ".join(f"{task} {n}" for task, n in sorted(self.unmatched_by_task.items()))
            lines.append(f"samples matching no known question: {self.unmatched_samples} ({per_task})")
        lines.extend(f"warning: {text}" for text in self.warnings)
        lines.extend(f"refused {path}: {reason}" for path, reason in self.refused)
        return "\n".join(lines)

    def merge(self, other: "ImportReport") -> None:
        self.runs_added += other.runs_added
        self.predictions_added += other.predictions_added
        self.duplicates += other.duplicates
        self.skipped_tasks.extend(t for t in other.skipped_tasks if t not in self.skipped_tasks)
        self.unmatched_samples += other.unmatched_samples
        for task, n in other.unmatched_by_task.items():
            self.unmatched_by_task[task] = self.unmatched_by_task.get(task, 0) + n
        self.refused.extend(other.refused)
        self.warnings.extend(other.warnings)
        self.run_ids.extend(r for r in other.run_ids if r not in self.run_ids)
