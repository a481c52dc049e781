"""A judge's agreement with K-QA's physicians on the 399 labelled (answer, statement) pairs.

For each relation the physicians' majority label becomes a yes/no: entails = "Entailment", contradicts =
"Contradiction". The judge's verdict is true / false / unparsed; unparsed and failed count as disagreeing.
  accuracy   share of pairs where the judge's verdict is the physicians' yes/no, with a Wilson 95% interval
             (statsmodels.stats.proportion.proportion_confint, method "wilson");
  kappa      Cohen's kappa over the categories true / false / unparsed (statsmodels cohens_kappa);
  macro_f1   the mean of the F1 of "yes" and of "no" (scikit-learn f1_score, average="macro"; an unparsed
             verdict is a miss for both): unlike accuracy, not flattered by the many "no" pairs;
  confusion  counts of "<physicians>/<judge>";
  ceiling    Fleiss' kappa of the three physicians' yes/no for that relation on all 399 pairs
             (statsmodels fleiss_kappa): how far people agree, the most a judge can be expected to reach.
A judge is "validated" for a relation when its kappa reaches VALIDATED_KAPPA (0.4, "moderate" agreement in
Landis & Koch's scale); a judge never checked, or below it, is shown as "unvalidated".
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

POSITIVE = {"entails": "Entailment", "contradicts": "Contradiction"}
CATEGORIES = ("true", "false", "unparsed")
VALIDATED_KAPPA = 0.4


def physician_verdict(label: str, relation: str) -> str:
    return "true" if label == POSITIVE[relation] else "false"


def agreement(relation: str, majority: Sequence[str], verdicts: Sequence[str]) -> dict:
    """majority: the physicians' majority labels; verdicts: the judge's, same order."""
    from sklearn.metrics import f1_score
    from statsmodels.stats.inter_rater import cohens_kappa  # statsmodels loads in seconds: only when checking
    from statsmodels.stats.proportion import proportion_confint

    truth = [physician_verdict(label, relation) for label in majority]
    judged = [v if v in ("true", "false") else "unparsed" for v in verdicts]
    n = len(truth)
    agree = sum(t == j for t, j in zip(truth, judged))
    low, high = proportion_confint(agree, n, alpha=0.05, method="wilson") if n else (None, None)
    table = np.zeros((3, 3))
    for t, j in zip(truth, judged):
        table[CATEGORIES.index(t), CATEGORIES.index(j)] += 1
    with warnings.catch_warnings():  # one category only (a small --limit): kappa is undefined, stored as None
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = float(cohens_kappa(table, return_results=False)) if n else None
    return {
        "relation": relation,
        "n_pairs": n,
        "n_unparsed": judged.count("unparsed"),
        "accuracy": agree / n if n else None,
        "accuracy_low": float(low) if low is not None else None,
        "accuracy_high": float(high) if high is not None else None,
        "kappa": None if kappa is None or np.isnan(kappa) else kappa,
        "macro_f1": float(f1_score(truth, judged, labels=["true", "false"], average="macro", zero_division=0))
        if n
        else None,
        "confusion": dict(Counter(f"{t}/{j}" for t, j in zip(truth, judged))),
    }


def physicians_ceiling(relation: str, labels: Sequence[Sequence[str]]) -> float:
    """Fleiss' kappa of the three physicians' yes/no verdicts for `relation`."""
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    coded = np.array([[CATEGORIES.index(physician_verdict(label, relation)) for label in row] for row in labels])
    table, _ = aggregate_raters(coded, n_cat=2)
    return float(fleiss_kappa(table, method="fleiss"))


def status(check: Mapping | None) -> str:
    if not check:
        return "unvalidated (never checked)"
    if check.get("kappa") is None:  # every pair's physicians said the same: kappa is undefined
        return f"unvalidated (kappa undefined on {check['n_pairs']} pairs)"
    if check["kappa"] < VALIDATED_KAPPA:
        return f"unvalidated (kappa {check['kappa']:.2f} < {VALIDATED_KAPPA})"
    return f"kappa {check['kappa']:.2f} on {check['n_pairs']} pairs"
