import datetime as dt

import pytest

from carecircle.elders.identity import make_id_number


@pytest.fixture
def new_id():
    counter = iter(range(500, 999))

    def make(birth=dt.date(1945, 3, 8), gender="F"):
        return make_id_number("310104", birth, next(counter), gender)

    return make


@pytest.fixture
def elder_data(district, new_id):
    def build(**overrides):
        data = {"name": "赵桂兰", "id_number": new_id(), "phone": "13912345678", "community": district.a1,
                "address": "天平路 8 号", "household_type": "alone", "lat": "31.205", "lng": "121.445"}
        data.update(overrides)
        return data

    return build
