"""The OpenAPI document and the API agree: schemathesis generates requests for every operation
of /api/v1/openapi.json (valid and invalid ones), sends them to the app in-process (WSGI) with
an admin's and a member's token, and checks every response: never a server error, a documented
status, content type, headers and body.

The examples are few and derandomised, so a run is reproducible and this stays a normal test
(about a minute per engine on an idle machine: ~50 s of CPU); `make conformance` runs the same
test with many more examples. Each generated request is sent twice when it has path ids: as
generated (mostly 404s) and with the ids of `api_world`'s objects, to reach the real work.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.core.failures import Failure, FailureGroup

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

# `make conformance` raises this; the suite keeps it small.
MAX_EXAMPLES = int(os.environ.get("CONFORMANCE_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, ignored_auth,
          unsupported_method]


def conformance_failures(operation, headers: dict, seeded_ids: dict, mode) -> list[str]:
    """Generate requests for one operation; the checks' failures, one line each."""
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],  # report, don't shrink: stays fast
              suppress_health_check=list(HealthCheck))
    def run(case):
        check(case)
        if case.path_parameters:
            # The same request again, naming objects that exist, so it goes past the 404.
            case.path_parameters = {name: seeded_ids.get(name, value)
                                    for name, value in case.path_parameters.items()}
            check(case)

    def check(case):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (AssertionError, Failure, FailureGroup) as error:
            failures.append(f"{operation.label} ({mode.value}): {error}")

    run()
    return failures


@pytest.mark.parametrize("role", ["admin", "member"])
def test_the_api_answers_as_its_document_says(app, api_world, role):
    tokens, seeded_ids = api_world
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:
            failures += conformance_failures(operation, headers, seeded_ids, mode)
    assert not failures, "\n\n".join(dict.fromkeys(failures))
