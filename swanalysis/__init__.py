"""swanalysis: recruitment and retention of children's social workers in English local authorities.

Readers turn the DfE's published CSWW statistics and a council's own census returns into tidy
tables; analyses (benchmark, tenure, drivers, costs) take tidy DataFrames and return DataFrames or
result objects; plots take those results and return matplotlib Axes.
"""

__version__ = "0.1.0"
