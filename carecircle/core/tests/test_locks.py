"""`core.locks.hold`: work that has no row to lock runs one at a time, on SQLite as on PostgreSQL."""
import time

import pytest
from django.db import transaction

from carecircle.core.locks import hold, lock_key


def test_the_key_is_a_stable_signed_64_bit_number_per_name():
    key = lock_key("workorders.generate", "2026-11-23")
    assert key == lock_key("workorders.generate", "2026-11-23")
    assert -(2 ** 63) <= key < 2 ** 63
    assert key != lock_key("workorders.generate", "2026-11-24")
    assert lock_key("a", "bc") != lock_key("ab", "c")  # the parts are kept apart


def test_a_lock_outside_a_transaction_or_without_a_name_is_refused():
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        hold("workorders.generate", "2026-11-23")
    with pytest.raises(ValueError):
        hold()


def test_two_holders_of_one_lock_run_one_after_the_other(race):
    def work():
        with transaction.atomic():
            hold("core.test", "one day")
            started = time.monotonic()
            time.sleep(0.3)
            return started, time.monotonic()

    first, second = sorted(race.run(work, work, hold=0))
    assert second[0] >= first[1]  # the second began only once the first had committed
