-- A run's answers with their question's text and gold statements: what a judge reads.
WITH
answers AS (
    SELECT g.question_id, g.output AS answer, q.text AS question
    FROM generations g JOIN questions q USING (question_id)
    WHERE g.run_id = $run_id AND g.status = 'ok'
),
final AS (
    SELECT a.question_id, a.question, a.answer, s.statement_id, s.kind, s.text AS statement
    FROM answers a JOIN statements s USING (question_id)
)
SELECT * FROM final ORDER BY question_id, statement_id
