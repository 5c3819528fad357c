"""Scoring of rating schemes and inspection checklists: points per item, the per-part minimum share, hard
stops (major hazards) and the star band. Pure Python; the schemes are data (`inspections/data/*.json`)."""
from .engine import Result, Rule, SchemeError, ScoringError, check_scheme, score

__all__ = ["Result", "Rule", "SchemeError", "ScoringError", "check_scheme", "score"]
