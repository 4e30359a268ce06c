"""Property-based run over the OpenAPI document (schemathesis), against the app itself with a
token: no 5xx, and every answer conforms to the document (status, content type, body schema,
headers). Bounded in examples per operation so the whole run stays near a minute."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from eldercare.auth.models import Role
from eldercare.facilities.models import Stay
from eldercare.timekeeping import local_today
from tests import factories
from tests.api_helpers import bearer, token_for

EXAMPLES = 15
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


@pytest.fixture
def tokens(app, db, facility, town):
    """A home with beds and a resident, its manager and a bureau administrator, with tokens."""
    bed = factories.bed(facility, open_to_public=True)
    factories.bed(facility)
    resident = factories.elder()
    db.session.add(Stay(elder_id=resident.id, bed_id=bed.id, start_on=local_today()))
    manager = factories.user("manager1", Role.facility_manager, facilities=[facility])
    admin = factories.user("admin1", Role.bureau_admin)
    return {"manager": token_for(manager), "bureau": token_for(admin)}


def conformance_search(operation, headers):
    """A bounded hypothesis search over one operation's inputs."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def conforms(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    return conforms


def test_api_conforms_to_its_document(app, tokens):
    # Operations are walked here rather than with schemathesis' pytest plugin, which does not
    # load under this pytest version.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        role = "bureau" if "/stats/" in operation.path or "/users/" in operation.path else "manager"
        conformance_search(operation, bearer(tokens[role]))()
