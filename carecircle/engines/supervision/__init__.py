"""Supervision of home visits: pure rule evaluation (no Django). See `rules.py`."""
