-- 011: a judge check also keeps its macro-F1 (the mean of the F1 of "yes" and of "no" against the
-- physicians' majority, scikit-learn f1_score average="macro"; an unparsed verdict is wrong for both).
-- Accuracy flatters a judge on K-QA, where most pairs are "no"; macro-F1 does not. Checks stored before
-- this migration keep NULL until `medlb judge-check` runs again.
ALTER TABLE judge_checks ADD COLUMN macro_f1 DOUBLE;
