-- Paired answers of entries $a and $b on the questions of a task group that both answered. The compare
-- page derives everything from these rows: per-task 2x2 tables, McNemar, the paired bootstrap, the
-- per-subject differences and the discordant list. One scan reads both entries (filtered by constant
-- entry ids, so the view's join stays small) and pivots them per question; the task group is applied
-- to the pivoted rows, not inside the scan.
WITH
group_tasks AS (
    SELECT task FROM benchmarks WHERE task_group = $task_group
),
answers AS (
    SELECT entry_id, question_id, task, pred, correct
    FROM counted_predictions
    WHERE entry_id IN ($a, $b)
),
paired AS (
    SELECT
        question_id,
        any_value(task) AS task,
        any_value(pred) FILTER (WHERE entry_id = $a) AS a_pred,
        any_value(pred) FILTER (WHERE entry_id = $b) AS b_pred,
        bool_or(correct) FILTER (WHERE entry_id = $a) AS a_correct,
        bool_or(correct) FILTER (WHERE entry_id = $b) AS b_correct
    FROM answers
    GROUP BY question_id
),
final AS (
    SELECT p.question_id, p.task, q.subject, q.text, q.golds, p.a_pred, p.b_pred, p.a_correct, p.b_correct
    FROM paired p
    JOIN questions q ON q.question_id = p.question_id
    WHERE p.a_correct IS NOT NULL AND p.b_correct IS NOT NULL AND p.task IN (SELECT task FROM group_tasks)
)
SELECT * FROM final ORDER BY task, question_id
