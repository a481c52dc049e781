-- One question as stored: text, options, gold answers (0-based), explanation where the source has one.
WITH
final AS (
    SELECT question_id, task, source_id, text, context, options, golds, subject, topic, explanation, meta
    FROM questions
    WHERE question_id = $question_id
)
SELECT * FROM final
