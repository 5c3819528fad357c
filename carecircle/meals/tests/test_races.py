"""The same card at two counters at once within one meal: one checkout gets the subsidy, the other waits for it
and pays the full price — on SQLite (a file database, as deployed) as on PostgreSQL."""
from decimal import Decimal as D

from carecircle.meals import services
from carecircle.meals.models import Sale

from .conftest import MONDAY


def test_one_card_at_two_counters_gets_one_subsidy(meals, race):
    def counter():
        return services.checkout(actor=meals.users.provider_admin, canteen=meals.canteen, diner=meals.diners.a,
                                 lines=[(meals.set_meal, 1)], meal="lunch", payment="balance", on=MONDAY)

    results = race.run(counter, counter)
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    assert sorted(sale.subsidy for sale in results) == [D("0.00"), D("6.00")]
    assert Sale.objects.filter(diner=meals.diners.a).count() == 2
    meals.diners.a.refresh_from_db()
    assert meals.diners.a.balance == D("50.00") - D("9.00") - D("15.00")
