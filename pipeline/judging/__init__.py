"""Judging free-text answers statement by statement (K-QA's method), and checking the judge against physicians.

judge.py      a judge model (identity, the paper's two prompts, two modes) and the resumable judging step
verdicts.py   reading a verdict out of a judge's reply
metrics.py    the K-QA metrics as pure reducers over stored verdicts
agreement.py  a judge's agreement with the physicians' labels (statsmodels)
judge_set.py  the physician-labelled pairs mapped onto K-QA's statements (the import and the judge bias)
icd10.py      K-QA's diagnoses as ICD-10-CM chapters, from the table make_icd10_table.py wrote offline
"""
