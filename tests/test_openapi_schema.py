"""The OpenAPI schema at /api/schema/ generates and validates without a single warning."""
import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_schema_generates_and_validates_without_warnings(tmp_path, capsys):
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yaml"
    try:
        # The same command operators run; --fail-on-warn turns every generator warning into an error.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    except CommandError as exc:
        pytest.fail(f"schema generation warned or failed: {exc}\n{capsys.readouterr().err}")
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.")
    assert schema["paths"], "the schema lists no API paths"
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_generator_reports_no_warnings_or_errors():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, f"drf-spectacular reported problems: {GENERATOR_STATS}"


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi: 3." in response.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
