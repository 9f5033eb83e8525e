"""The REST API against its own OpenAPI document (schemathesis): no 5xx, no undocumented status
or content type, no schema violation; a bounded number of generated examples per operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.test_web_api import web_app  # noqa: F401  (the session fixture)

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="session")
def web_schema(web_app):  # type: ignore[no-untyped-def]  # noqa: F811
    web_app.state.data.get().warm()  # analyses first: the examples time requests, not the first computation
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", web_app)


schema = schemathesis.pytest.from_fixture("web_schema")


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi_document(case):  # type: ignore[no-untyped-def]
    case.call_and_validate()
