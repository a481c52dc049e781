-- The question browser: questions of a task group with how the leaderboard entries answered them.
-- share_right is the difficulty (share of entries that got it right; 0 = everyone wrong). Optional
-- filters are NULL when unused: $task, $subject, $wrong_for (an entry id: only questions it got wrong),
-- $search (a substring of the text, matched case-insensitively and literally: contains(), not ILIKE,
-- so "50%" or "_" find those characters instead of acting as wildcards). $scope is 'all',
-- 'everyone_wrong', 'different' (the entries did not all give the same answer) or 'split' (some entries
-- right, some wrong: entries can give different wrong answers without being split).
WITH
group_tasks AS (
    SELECT task FROM benchmarks WHERE task_group = $task_group
),
answers AS (
    SELECT question_id, entry_id, correct, coalesce(pred, -1) AS pred, pred_set
    FROM counted_predictions
    WHERE ($task IS NULL OR task = $task)  -- the task group is applied per question below, not per row
),
per_question AS (
    SELECT
        question_id,
        count(*) AS n_answers,
        count(*) FILTER (WHERE correct) AS n_right,
        difficulty(correct) AS share_right,  -- the macro of migration 007
        -- not every entry gave the same answer (no answer, -1, is an answer too); min/max instead of a
        -- distinct count keeps this one cheap pass over the rows
        min(pred) <> max(pred) OR min(pred_set) IS DISTINCT FROM max(pred_set) AS disagree,
        bool_or(NOT correct) FILTER (WHERE entry_id = $wrong_for) AS wrong_for_entry
    FROM answers
    GROUP BY question_id
),
matching AS (
    SELECT q.question_id, q.task, q.subject, q.text, p.n_answers, p.n_right, p.share_right, p.disagree
    FROM per_question p
    JOIN questions q ON q.question_id = p.question_id
    WHERE q.task IN (SELECT task FROM group_tasks)
      AND ($subject IS NULL OR q.subject = $subject)
      AND ($wrong_for IS NULL OR p.wrong_for_entry)
      AND ($search IS NULL OR contains(lower(q.text), lower($search)))
      AND ($scope = 'all'
           OR ($scope = 'everyone_wrong' AND p.n_right = 0)
           OR ($scope = 'different' AND p.disagree)
           OR ($scope = 'split' AND p.n_right > 0 AND p.n_right < p.n_answers))
),
final AS (
    SELECT *, count(*) OVER () AS n_matching FROM matching
)
SELECT * FROM final ORDER BY share_right, task, question_id LIMIT $limit
