-- A task with the size of its full split, once.
WITH
final AS (
    SELECT $task::VARCHAR AS task, $benchmark::VARCHAR AS benchmark, $split::VARCHAR AS split,
           $language::VARCHAR AS language, $task_group::VARCHAR AS task_group, $metric::VARCHAR AS metric,
           $n_questions::INTEGER AS n_questions, $source::VARCHAR AS source, $data_sha256::VARCHAR AS data_sha256
)
INSERT INTO benchmarks BY NAME SELECT * FROM final ON CONFLICT DO NOTHING
