-- One answer judged statement by statement: the question, the physicians' answer, the model's answer, and
-- each gold statement with the judge's two verdicts and reasoning.
WITH
statement_verdicts AS (
    SELECT statement_id,
           any_value(verdict) FILTER (WHERE relation = 'entails') AS entailed,
           any_value(verdict) FILTER (WHERE relation = 'contradicts') AS contradicted,
           any_value(probability) FILTER (WHERE relation = 'entails') AS p_entailed,
           any_value(probability) FILTER (WHERE relation = 'contradicts') AS p_contradicted,
           any_value(rationale) FILTER (WHERE relation = 'entails') AS entails_rationale,
           any_value(rationale) FILTER (WHERE relation = 'contradicts') AS contradicts_rationale
    FROM judgments
    WHERE run_id = $run_id AND judge_id = $judge_id AND question_id = $question_id
    GROUP BY statement_id
),
final AS (
    SELECT q.question_id, q.text AS question, q.explanation AS physicians_answer, g.output AS answer,
           s.statement_id, s.kind, s.position, s.text AS statement, v.entailed, v.contradicted, v.p_entailed,
           v.p_contradicted, v.entails_rationale, v.contradicts_rationale
    FROM statements s
    JOIN questions q USING (question_id)
    LEFT JOIN generations g ON g.run_id = $run_id AND g.question_id = s.question_id
    LEFT JOIN statement_verdicts v USING (statement_id)
    WHERE s.question_id = $question_id
)
SELECT * FROM final ORDER BY kind, position
