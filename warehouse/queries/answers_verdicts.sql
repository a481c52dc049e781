-- One judge's verdicts on one generation run, with each statement's kind (reduced by pipeline.judging.metrics).
WITH
final AS (
    SELECT j.question_id, j.statement_id, s.kind, j.relation, j.verdict, j.probability
    FROM judgments j JOIN statements s USING (statement_id)
    WHERE j.run_id = $run_id AND j.judge_id = $judge_id
)
SELECT * FROM final ORDER BY question_id, statement_id, relation
