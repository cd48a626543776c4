"""The two documents a report makes, and the output metadata that says which one a block is in.

``report.html`` is the committee paper, ``technical.html`` its technical annex. The page kit marks
every output it displays with ``PART_KEY`` (swanalysis.report.page); the runner splits the
executed notebook on it (swanalysis.report.runner.split_parts).
"""

#: Output metadata key: "paper", "annex" or "both" (unmarked outputs belong to the paper).
PART_KEY = "swanalysis_part"
#: Each document and its file.
PARTS = {"paper": "report.html", "annex": "technical.html"}
