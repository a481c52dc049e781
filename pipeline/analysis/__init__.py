"""Beyond accuracy: metrics over the per-question predictions (numpy, polars, scipy only; no torch).

    variants.py        prediction variants: perm<k> rotations, cf_<attribute> counterfactuals;
                       expand(question, perturbations) is the hook the run calls
    multilabel.py      FrenchMedMCQA answer sets: choose_answer_set (EMR and Hamming are SQL macros)
    calibration.py     ECE, Brier, reliability-diagram bins, accuracy at coverage
    robustness.py      option-order consistency, accuracy under permutation, letter-position bias
    counterfactual.py  the documented sex / race swap rules for MedQA vignettes (and their skips)
    bias.py            answer flip rate per attribute with a Wilson interval, flipped questions
    items.py           item difficulty and discrimination, hardest items, clinical slice matrix

Warehouse inputs come from warehouse/queries/analysis_*.sql; each module says which columns it reads.
A number the SQL computes too has its macro in warehouse/migrations/007_macros.sql, checked against
the Python twin in tests/warehouse/test_macros.py.
"""
