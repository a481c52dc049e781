-- 002: multi-answer tasks (FrenchMedMCQA) record the predicted answer SET, not only one option.
-- pred_set: the 0-based option indices chosen by pipeline.analysis.multilabel.choose_answer_set
-- (pred stays the top option, correct = exact match of pred_set with golds). NULL for single-answer tasks.
ALTER TABLE predictions ADD COLUMN pred_set INTEGER[];
