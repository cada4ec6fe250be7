"""Numerical constants shared with Leniax (same values, same meaning)."""

EPSILON = 1e-7
"""Threshold under which a cell, field or potential value counts as zero."""

START_CHECK_STOP = 10
"""`run(stat_trunc=True)` never stops before this step."""

NB_STATS_STEPS = 128
"""Number of final steps used to summarise a run (behaviours of a search)."""

NB_CHARS = 112
"""Alphabet size of the two-character cell code; `NB_CHARS**2 - 1` levels."""
