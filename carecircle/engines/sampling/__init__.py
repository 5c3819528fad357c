"""Reproducible sampling (pure Python, no Django): whether a record falls into a month's sample.

A record is in the sample when the hash of its key and the month (the salt) falls below the share: the same
record in the same month is always chosen or always passed over, whoever asks and however often, and a new
month draws a new sample. Over many records the chosen share approaches the policy's share."""
from .sample import in_sample, sample_point

__all__ = ["in_sample", "sample_point"]
