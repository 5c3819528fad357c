"""Visits: what happened at the elder's home for one work order (check-in, items, confirmation, check-out),
the flags the supervision rules raised and the exceptions opened on them."""
