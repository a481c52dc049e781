"""Judging free-text answers statement by statement (K-QA's method), and checking the judge against physicians.

judge.py      a judge model (identity, the paper's two prompts, two modes) and the resumable judging step
verdicts.py   reading a verdict out of a judge's reply
metrics.py    the K-QA metrics as pure reducers over stored verdicts
agreement.py  a judge's agreement with the physicians' labels (statsmodels)
"""
