"""Multi-answer questions (FrenchMedMCQA: 5 options, one to five of them correct).

Every option is scored by log-likelihood as in single-answer tasks; `choose_answer_set` turns the
option probabilities into a predicted set (the run stores it as predictions.pred_set), and the set is
scored the way the FrenchMedMCQA paper (Labrak et al., LOUHI 2022) scores it: exact match ratio (EMR)
and Hamming score. Those scores live in SQL only, as the set_exact and set_hamming macros of migration
007 (read by warehouse/queries/analysis_multilabel.sql); the answer_set macro there is this rule's twin.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# An option joins the answer set when its probability is at least this share of the top option's.
SET_SHARE = 0.5


def choose_answer_set(probs: Sequence[float], share: float = SET_SHARE) -> tuple[int, ...]:
    """The predicted answer set: every option whose probability is at least `share` x the top one's.

    Why this rule:
    - Relative, not absolute. The softmax over option log-likelihoods spreads the model's mass over
      the options it finds equally right, so a question with k correct answers shows up as k options of
      similar mass, each near 1/k of the total. A fixed absolute cut (say p >= 0.2) would treat a
      confident single answer and a three-way tie differently depending on k; a share of the top does not.
    - Never empty. The top option always qualifies, and every FrenchMedMCQA question has at least one
      correct answer, so an empty set could never be right.
    - Scale-free. p_i >= share * p_max  <=>  loglik_i >= loglik_max - ln(1/share): the rule reads the
      log-likelihood gaps only (ln 2 = 0.69 nats at share 0.5), not the normalising constant.
    - Fixed in advance at 0.5 ("at least half as likely as the favourite"), not tuned on the test set, so
      the score cannot leak the gold distribution; a model whose likelihoods separate right from wrong
      options more sharply is rewarded.
    """
    values = np.asarray(probs, dtype=float)
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"choose_answer_set needs finite option probabilities, got {list(probs)!r}")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    top = values.max()
    return tuple(int(i) for i in np.flatnonzero(values >= share * top))
