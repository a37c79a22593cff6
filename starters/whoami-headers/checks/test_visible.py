"""Checks you can run yourself: GET /whoami reports a desktop User-Agent, and echoes X-Request-Id."""

import pytest

from grader.checks import expect_equal, expect_header, expect_json, expect_status

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize("user_agent", [FIREFOX, "curl/8.5.0"], ids=["firefox", "curl"])
def test_reports_user_agent(client, user_agent):
    resp = client.get("/whoami", user_agent=user_agent)
    expect_status(resp, 200)
    body = expect_json(resp, {"user_agent": user_agent, "mobile": False})
    expect_equal(type(body["mobile"]).__name__, "bool", 'the type of "mobile" (a JSON true or false)')


@pytest.mark.parametrize(
    "request_id",
    ["abc-123", "f47ac10b-58cc-4372-a567-0e02b2c3d479", "42"],
    ids=["short", "uuid", "digits"],
)
def test_echoes_request_id(client, request_id):
    resp = client.get("/whoami", headers={"X-Request-Id": request_id})
    expect_status(resp, 200)
    expect_header(resp, "X-Request-Id", request_id)
