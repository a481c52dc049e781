"""Beyond accuracy: metrics over the per-question predictions (numpy, polars, scipy only; no torch).

    variants.py        prediction variants: perm<k> rotations, cf_<attribute> counterfactuals;
                       expand(question, perturbations) is the hook the run calls
    multilabel.py      FrenchMedMCQA answer sets: choose_answer_set, exact match ratio, Hamming score
    calibration.py     ECE, Brier, reliability-diagram bins, accuracy at coverage
    robustness.py      option-order consistency, accuracy under permutation, letter-position bias
    counterfactual.py  the documented sex / race swap rules for MedQA vignettes (and their skips)
    bias.py            answer flip rate per attribute with a Wilson interval, flipped questions
    items.py           item difficulty and discrimination, hardest items, clinical slice matrix

Warehouse inputs come from warehouse/queries/analysis_*.sql; each module says which columns it reads.
"""
