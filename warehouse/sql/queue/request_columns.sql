-- The requests table's columns: a store made before a column existed gets it added (queue._upgrade).
WITH final AS (
    SELECT name FROM pragma_table_info('requests')
)
SELECT name FROM final
