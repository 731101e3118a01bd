"""Pure domain logic: no Streamlit, no SQLAlchemy.

Rubric rules, visibility rules, calibration and ranking, coverage tables,
assignment and selection solvers, import parsing, safe CSV writing. Plain data
in, plain data out, tested in milliseconds.
"""

from scoring.calibration import Calibration, calibrate, score_submissions

__all__ = ["Calibration", "calibrate", "score_submissions"]
