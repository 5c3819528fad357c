"""Geometry on latitude/longitude without Django: coordinate systems used by Chinese map SDKs."""
from .coords import gcj02_to_wgs84, in_mainland_china, wgs84_to_gcj02

__all__ = ["gcj02_to_wgs84", "in_mainland_china", "wgs84_to_gcj02"]
