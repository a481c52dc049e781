-- Every judge's verdicts on one generation run, with each statement's kind: where judges can disagree.
WITH
final AS (
    SELECT j.judge_id, j.question_id, j.statement_id, s.kind, j.relation, j.verdict
    FROM judgments j JOIN statements s USING (statement_id)
    WHERE j.run_id = $run_id
)
SELECT * FROM final ORDER BY judge_id, question_id, statement_id, relation
