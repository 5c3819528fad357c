"""Assessment scoring: versioned instrument data and a pure-Python engine (no Django import)."""
from .engine import RISK_EVENT_KINDS, Problem, ScoringError, check_answers, mzt039_initial, normalise_icd, score
from .instruments import Instrument, Item, Option, instrument_codes, load_instrument

__all__ = ["RISK_EVENT_KINDS", "Instrument", "Item", "Option", "Problem", "ScoringError", "check_answers",
           "instrument_codes", "load_instrument", "mzt039_initial", "normalise_icd", "score"]
