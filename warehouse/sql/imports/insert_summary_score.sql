-- One task's score of a run known only by its scores (migration 010).
WITH
final AS (
    SELECT $run_id::VARCHAR AS run_id, $task::VARCHAR AS task, $metric::VARCHAR AS metric,
           $accuracy::DOUBLE AS accuracy, $n::INTEGER AS n, $n_correct::INTEGER AS n_correct,
           $n_source::VARCHAR AS n_source, $stderr::DOUBLE AS stderr
)
INSERT INTO summary_scores BY NAME SELECT * FROM final
