"""Hotline arithmetic (pure Python, no Django): device signatures, alarm codes and their priority, risk tiers
of elders, when a care call or a welfare visit is due, which elders have gone silent, and visit rates."""
from .care import HIGH, KEY, GENERAL, TIERS, CareFacts, care_call_due, risk_tier, special_difficulty, visit_due, visit_rate
from .codes import CODES, AlarmCode, resolve_code
from .signature import SignatureProblem, sign, verify
from .silence import SilenceFacts, silence_reasons
from .timers import Timer, case_timers

__all__ = ["CODES", "AlarmCode", "CareFacts", "SignatureProblem", "SilenceFacts", "Timer", "GENERAL", "HIGH", "KEY", "TIERS", "care_call_due",
           "case_timers", "resolve_code", "risk_tier", "sign", "silence_reasons", "special_difficulty", "verify", "visit_due",
           "visit_rate"]
