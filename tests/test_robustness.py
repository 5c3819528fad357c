"""Bad input is a clear 400, never an error page: numbers beyond 64 bits in a query string, JSON nested or sized
beyond the API's limits (core/params.py, core/parsers.py, core/pagination.py)."""
import pytest
from drf_spectacular.generators import SchemaGenerator

from carecircle.core.params import MAX_ID
from tests.test_access_matrix import all_routes

BIG = "99999999999999999999"  # 20 digits: more than any 64-bit column holds
JUST_OVER = str(MAX_ID + 1)


def _json(response):
    return response.json() if response["Content-Type"].startswith("application/json") else {}


# --- whole numbers in the query string -------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("url, parameter", [
    ("/api/v1/care-levels/?elder={}", "elder"),
    ("/api/v1/facilities/?organisation={}", "organisation"),
    ("/api/v1/staff/?organisation={}", "organisation"),
    ("/api/v1/elders/?page={}", "page"),
    ("/api/v1/elders/?page_size={}", "page_size"),
])
@pytest.mark.parametrize("value", [BIG, JUST_OVER, "-1", "abc", "１２"])
def test_api_refuses_numbers_it_cannot_use_with_400_naming_the_parameter(users, api_as, url, parameter, value):
    client = api_as(users.district_admin)
    response = client.get(url.format(value), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    message = _json(response)[parameter][0]
    assert ("not a whole number" in message or "outside the allowed range" in message
            or "is not a valid number" in message), message
    chinese = client.get(url.format(value)).json()[parameter][0]
    assert "请检查链接或查询条件" in chinese


@pytest.mark.django_db
def test_the_largest_64_bit_id_is_a_valid_question_with_no_answer(users, api_as, district):
    client = api_as(users.district_admin)
    for url in (f"/api/v1/care-levels/?elder={MAX_ID}", f"/api/v1/facilities/?organisation={MAX_ID}",
                f"/api/v1/staff/?organisation={MAX_ID}"):
        response = client.get(url)
        assert response.status_code == 200 and response.json()["count"] == 0, url
    response = client.get(f"/api/v1/facilities/?organisation={district.provider.pk}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_api_page_size_edges(users, api_as):
    client = api_as(users.district_admin)
    assert client.get("/api/v1/elders/?page_size=1").json()["results"].__len__() == 1
    assert client.get(f"/api/v1/elders/?page_size={MAX_ID}").status_code == 200  # served as 200 rows at most
    assert client.get("/api/v1/elders/?page_size=0").status_code == 400
    assert client.get(f"/api/v1/elders/?page={MAX_ID}").status_code == 404  # a page past the last one


@pytest.mark.django_db
@pytest.mark.parametrize("url", [f"/providers/facilities/?organisation={BIG}", f"/elders/?page={BIG}",
                                 f"/elders/?page_size={BIG}", f"/providers/facilities/?page={JUST_OVER}"])
def test_pages_refuse_numbers_they_cannot_use_with_a_400_page(client, users, url):
    client.force_login(users.district_admin)
    response = client.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "这个请求无法处理" in page and "请检查链接或查询条件" in page and 'class="mainnav"' in page
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This request cannot be handled" in english and "请" not in english


@pytest.mark.django_db
def test_facility_page_at_the_edge(client, users, district):
    client.force_login(users.district_admin)
    assert client.get(f"/account/tokens/revoke/?token={BIG}").status_code == 404  # no such token
    assert client.get(f"/providers/facilities/?organisation={MAX_ID}").status_code == 200
    assert client.get(f"/providers/facilities/?organisation={MAX_ID + 1}").status_code == 400


def _api_list_parameters():
    """Every (path, integer query parameter) the OpenAPI schema declares for a path without path parameters."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        for parameter in operations["get"].get("parameters", []):
            if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") == "integer":
                found.append((path, parameter["name"]))
    return found


@pytest.mark.django_db
def test_no_declared_integer_query_parameter_of_the_api_fails_on_a_huge_number(users, api_as):
    client = api_as(users.district_admin)
    client.raise_request_exception = False
    checked = _api_list_parameters()
    assert ("/api/v1/care-levels/", "elder") in checked and ("/api/v1/facilities/", "organisation") in checked
    failures = []
    for path, name in checked:
        for value in (BIG, "-" + BIG):
            response = client.get(f"{path}?{name}={value}")
            if response.status_code >= 500:
                failures.append(f"{path}?{name}={value} → {response.status_code}")
    assert not failures, failures


QUERY_NAMES = ["elder", "organisation", "page", "page_size", "token", "ids", "level", "plan", "order", "notice",
               "caregiver", "year", "region", "community"]


@pytest.mark.django_db
def test_no_page_fails_on_a_huge_number_in_its_query_string(client, users):
    """Every page without path parameters, asked with a 20-digit number in each usual parameter: a 400 or an
    ordinary answer, never an error page."""
    client.force_login(users.district_admin)
    client.raise_request_exception = False
    failures = []
    routes = [r for r in all_routes() if not r.params and not r.is_api and not r.is_admin and "get" in r.methods()]
    assert len(routes) > 20
    for route in routes:
        path = "/" + route.text.replace("^", "").replace("$", "").replace("\\Z", "")
        for name in QUERY_NAMES:
            response = client.get(f"{path}?{name}={BIG}")
            if response.status_code >= 500:
                failures.append(f"{path}?{name}= → {response.status_code}")
    assert not failures, failures


# --- JSON bodies --------------------------------------------------------------------------------------------

def test_nesting_depth_is_counted_without_recursion_and_ignores_strings():
    from carecircle.core.parsers import nesting_depth

    assert nesting_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000
    assert nesting_depth(b'{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert nesting_depth(b'["\\"[[[", [[]]]') == 3
    assert nesting_depth(b'"\\"' * 200_000) == 0  # an unterminated string does not make the scan quadratic
    assert nesting_depth(b"123") == 0


@pytest.mark.django_db
@pytest.mark.parametrize("depth, status", [(32, 400), (33, 400)])
def test_the_unauthenticated_token_endpoint_refuses_deep_json_before_decoding(api_client, depth, status):
    # At exactly the limit the body is decoded (and refused for missing credentials); one deeper is refused
    # before decoding with the nesting message.
    body = "[" * depth + "]" * depth
    response = api_client.post("/api/v1/auth/token/", data=body, content_type="application/json",
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    nested_message = "nested deeper than 32 levels" in response.json().get("detail", "")
    assert nested_message is (depth > 32)


@pytest.mark.django_db
def test_a_hundred_thousand_brackets_are_a_400_in_the_readers_language(api_client, users, api_as):
    body = "[" * 100_000 + "]" * 100_000
    response = api_client.post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套超过 32 层" in response.json()["detail"]
    client = api_as(users.street_staff)
    response = client.post("/api/v1/elders/", data='{"name": ' + body + "}", content_type="application/json",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "nested deeper than 32 levels" in response.json()["detail"]


@pytest.mark.django_db
def test_json_body_size_edges(api_client, settings):
    settings.CARECIRCLE_API_MAX_JSON_BYTES = 2048
    head, tail = '{"username": "', '", "password": "x"}'
    exactly = head + "a" * (2048 - len(head) - len(tail)) + tail
    assert len(exactly.encode()) == 2048
    response = api_client.post("/api/v1/auth/token/", data=exactly, content_type="application/json")
    assert response.status_code == 400 and "过大" not in str(response.json())  # read, then refused as a sign-in
    response = api_client.post("/api/v1/auth/token/", data=exactly + " ", content_type="application/json",
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


@pytest.mark.django_db
def test_an_overlong_username_on_the_token_endpoint_is_refused_before_sign_in_is_tried(api_client):
    from axes.models import AccessAttempt

    response = api_client.post("/api/v1/auth/token/", {"username": "a" * 151, "password": "x"}, format="json")
    assert response.status_code == 400 and "username" in response.json()
    assert not AccessAttempt.objects.exists()
    response = api_client.post("/api/v1/auth/token/", {"username": "a" * 150, "password": "x"}, format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


@pytest.mark.django_db
def test_broken_json_is_a_400(api_client):
    response = api_client.post("/api/v1/auth/token/", data=b'{"username": "\xff', content_type="application/json")
    assert response.status_code == 400


# --- rate limits in the API ----------------------------------------------------------------------------------

def test_a_rate_limit_is_a_429_with_retry_after_in_the_api():
    from carecircle.core.errors import exception_handler
    from carecircle.core.throttle import RateLimited

    response = exception_handler(RateLimited("提交过于频繁", retry_after=120), {})
    assert response.status_code == 429 and response["Retry-After"] == "120"
    assert response.data["detail"].startswith("提交过于频繁")


def test_the_counter_allows_exactly_its_limit_per_window():
    from carecircle.core.throttle import take

    start = 1_800_000_000.0
    assert [take("t", "a", limit=2, window=60, now=start + i) for i in range(2)] == [None, None]
    assert take("t", "a", limit=2, window=60, now=start + 10) == 50
    assert take("t", "b", limit=2, window=60, now=start + 10) is None  # another identity
    assert take("t", "a", limit=2, window=60, now=start + 60) is None  # the next window


# --- lists in request bodies ---------------------------------------------------------------------------------

def test_every_list_the_api_takes_declares_its_maximum_in_the_schema():
    from carecircle.core.validators import LIST_MAX_ITEMS

    schema = SchemaGenerator().get_schema(request=None, public=True)
    unbounded, bounds = [], set()

    def walk(name, node, path):
        if isinstance(node, dict):
            if node.get("type") == "array" and not node.get("readOnly"):
                if "maxItems" in node:
                    bounds.add(node["maxItems"])
                else:
                    unbounded.append(f"{name}.{'.'.join(map(str, path))}")
            for key, value in node.items():
                walk(name, value, [*path, key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(name, value, [*path, index])

    requests = {n: c for n, c in schema["components"]["schemas"].items() if n.endswith("Request")}
    assert "ElderRequest" in requests and "PlanCreateRequest" in requests
    for name, component in requests.items():
        walk(name, component, [])
    assert not unbounded, unbounded
    assert LIST_MAX_ITEMS in bounds


@pytest.mark.django_db
def test_a_list_one_over_its_maximum_is_refused(users, api_as):
    from carecircle.core.validators import LIST_MAX_ITEMS

    client = api_as(users.district_admin)
    lines = [{"item": "X", "quantity": "1"}] * (LIST_MAX_ITEMS + 1)
    body = {"elder": 1, "date": "2026-03-09", "lines": lines}
    response = client.post("/api/v1/quotes/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "lines" in response.json()
    assert "more than 50" in str(response.json()["lines"])


@pytest.mark.django_db
@pytest.mark.parametrize("value, refused", [(MAX_ID, False), (MAX_ID + 1, True), (0, True)])
def test_ids_in_request_bodies_are_bounded(users, api_as, value, refused):
    client = api_as(users.district_admin)
    body = {"elder": value, "date": "2026-03-09", "lines": [{"item": "X", "quantity": "1"}]}
    response = client.post("/api/v1/quotes/", body, format="json")
    assert response.status_code in (400, 404) and ("elder" in response.json()) is refused
