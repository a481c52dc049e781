-- One judge's verdicts on one run, with each statement's kind: what the K-QA metrics reduce.
WITH
final AS (
    SELECT j.question_id, j.statement_id, s.kind, j.relation, j.verdict, j.probability
    FROM judgments j JOIN statements s USING (statement_id)
    WHERE j.judge_id = $judge_id AND j.run_id = $run_id
)
SELECT * FROM final ORDER BY question_id, statement_id, relation
