-- 007: every number the SQL computes per row or per cell, defined once as a macro that the queries in
-- warehouse/queries/ call. Where Python computes the same number (a run's summary, a page's frame), the
-- Python function named beside each macro is its twin, and tests/dashboard/test_macros.py checks that
-- both give the same value on the same rows.

-- Accuracy's 95% interval (pipeline.metrics.accuracy_interval): the normal approximation with the sample
-- standard error, as lm-evaluation-harness reports acc_stderr, clipped to [0, 1]. No stderr for n < 2.
CREATE MACRO acc_stderr(n_correct, n) AS
    CASE WHEN n > 1 THEN sqrt((n_correct / n) * (1 - n_correct / n) / (n - 1)) END;
CREATE MACRO acc_low(n_correct, n) AS
    greatest(0.0, n_correct / n - 1.959963984540054 * acc_stderr(n_correct, n));
CREATE MACRO acc_high(n_correct, n) AS
    least(1.0, n_correct / n + 1.959963984540054 * acc_stderr(n_correct, n));

-- Calibration (pipeline.analysis.calibration): the top option's probability is the confidence, the top
-- option (the first one on ties, like argmax) is the answer; Brier is sum_k (p_k - y_k)^2.
CREATE MACRO top_confidence(probs) AS list_max(probs);
CREATE MACRO top_is_gold(probs, golds) AS list_contains(golds, list_position(probs, list_max(probs)) - 1);
CREATE MACRO brier(probs, golds) AS list_sum(list_transform(
    range(1, len(probs) + 1),
    lambda i: (probs[i] - CASE WHEN list_contains(golds, i - 1) THEN 1.0 ELSE 0.0 END) ** 2
));
-- Equal-width bins ((m-1)/M, m/M] (Guo et al. 2017); a confidence of exactly 0 goes to the first bin.
CREATE MACRO confidence_bin(confidence, n_bins) AS
    greatest(least(ceil(confidence * n_bins)::INTEGER - 1, n_bins - 1), 0);

-- Multi-answer sets: the options at least `share` x as likely as the top one (the twin of
-- pipeline.analysis.multilabel.choose_answer_set, which the run stores as pred_set); exact match and
-- Hamming score |P ∩ G| / |P ∪ G| (two empty sets agree fully), which only SQL computes.
CREATE MACRO answer_set(probs, share) AS
    list_filter(range(len(probs)), lambda i: probs[i + 1] >= share * list_max(probs));
CREATE MACRO set_exact(pred_set, golds) AS
    list_sort(list_distinct(pred_set)) = list_sort(list_distinct(golds));
CREATE MACRO set_hamming(pred_set, golds) AS
    CASE WHEN len(list_distinct(list_concat(pred_set, golds))) = 0 THEN 1.0
         ELSE len(list_intersect(pred_set, golds)) / len(list_distinct(list_concat(pred_set, golds)))
    END;

-- An item's difficulty (pipeline.analysis.items.difficulty), an aggregate: the share of takers that got it
-- right (lower is harder).
CREATE MACRO difficulty(correct) AS avg(correct::DOUBLE);

-- The cell of the paired 2x2 table a question falls in between an earlier and a later answer
-- (pipeline.metrics.FLIP_CELLS): fixed, broken, still_wrong or still_right.
CREATE MACRO flip_kind(was_correct, is_correct) AS
    CASE WHEN was_correct AND is_correct THEN 'still_right'
         WHEN was_correct THEN 'broken'
         WHEN is_correct THEN 'fixed'
         ELSE 'still_wrong'
    END;
