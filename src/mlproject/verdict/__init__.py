"""The PR verdict: main's model (champion) against the PR's (challenger) on the same rows.

champion.py  gets main's model at the merge base: DVC cache, DVC remote, or rebuilt
scoring.py   scores both models in one process and times them interleaved: the evidence
evidence.py  the evidence file: written by the PR's job, read as hostile input by the judge
bootstrap.py metrics of weighted rows, and paired-bootstrap intervals of their differences
judge.py     recomputes metrics, intervals and the gate with the default branch's code and rules
publish.py   posts the comment (CML) and the `model gate` commit status (gh)
"""
