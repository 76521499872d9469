"""How OpenAI client errors become Personify's provider errors."""

import httpx
import openai
import pytest

from personify.agent.openai_compat import _provider_errors
from personify.errors import ProviderError, ProviderTimeout

REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def bad_request() -> openai.BadRequestError:
    response = httpx.Response(400, request=REQUEST)
    return openai.BadRequestError("response_format unsupported", response=response, body=None)


@pytest.mark.parametrize(
    ("raised", "expected", "words"),
    [
        (openai.APITimeoutError(request=REQUEST), ProviderTimeout, "timed out"),
        (openai.APIConnectionError(request=REQUEST), ProviderError, "APIConnectionError"),
        (AssertionError(), ProviderError, "unreadable"),  # a proxy's HTML page
    ],
)
def test_client_errors_become_provider_errors(
    raised: Exception, expected: type[ProviderError], words: str
) -> None:
    with pytest.raises(expected) as err, _provider_errors(structured=True):
        raise raised
    assert type(err.value) is expected
    assert words in err.value.message
    assert err.value.__cause__ is raised


def test_a_rejected_schema_names_the_setting_that_turns_it_off() -> None:
    with pytest.raises(ProviderError) as err, _provider_errors(structured=True):
        raise bad_request()
    assert err.value.field == "PERSONIFY_OPENAI_JSON_SCHEMA"
    assert "set PERSONIFY_OPENAI_JSON_SCHEMA=false" in err.value.message
    with pytest.raises(ProviderError) as plain, _provider_errors(structured=False):
        raise bad_request()
    assert "PERSONIFY_OPENAI_JSON_SCHEMA" not in plain.value.message
