"""Hidden checks: the JSON body and the WWW-Authenticate header, each scored on its own (the status is the
visible check's)."""

from grader.checks import expect_header, expect_json


def test_json_body(client):
    # "the JSON body `{"msg": "Auth Failed"}` (sent as JSON, i.e. with the `application/json` content type,
    # and with no other keys)"
    resp = client.get("/error")
    expect_json(resp, {"msg": "Auth Failed"})


def test_www_authenticate_header(client):
    # "the header `WWW-Authenticate: Basic realm="Login Required"` (exactly this value, with the double
    # quotes around `Login Required`)"
    resp = client.get("/error")
    expect_header(resp, "WWW-Authenticate", 'Basic realm="Login Required"')
