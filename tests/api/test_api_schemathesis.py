"""The OpenAPI document against the running server: schemathesis generates requests from it
and checks every response (status codes, content types, headers, bodies against the
schemas, no 5xx). Positive and negative data, a few derandomised examples per operation, so
CI stays fast and repeatable.

schemathesis' pytest loader (``from_fixture``) does not run on this pytest, so each operation
is driven through its Hypothesis strategy directly.

Schema-valid requests may get 400: a well-formed revision the repository does not have, or
two spans at once (the schema cannot say "at most one of period, from/to, range"). Both are
the client's to fix, so 400 joins the statuses expected for positive data.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from .conftest import Server

EXAMPLES = 12
NEGATIVE_EXAMPLES = 6  # generating data that breaks the patterns is the slow part
CONFIG = {"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "304", "400", "401", "404"]}}}


@pytest.mark.parametrize("mode,scope", [(GenerationMode.POSITIVE, "all"),
                                        (GenerationMode.POSITIVE, "reseller:rkea"),
                                        (GenerationMode.NEGATIVE, "tenant:bravoco")])
def test_openapi_conformance(server: Server, mode: GenerationMode, scope: str) -> None:
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json",
                                           config=SchemathesisConfig.from_dict(CONFIG))
    headers = {"Authorization": f"Bearer {server.tokens[scope]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9  # tenants x2, billing x7, healthz
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.path == "/healthz":
            continue  # no parameters: nothing to get wrong
        examples = EXAMPLES if mode is GenerationMode.POSITIVE else NEGATIVE_EXAMPLES

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=server.url, headers=headers)

        check()
