"""Hidden checks: the JSON body and the WWW-Authenticate header, each scored on its own."""

from grader.checks import expect_header, expect_json


def test_json_body(client):
    resp = client.get("/error")
    expect_json(resp, {"msg": "Auth Failed"})


def test_www_authenticate_header(client):
    resp = client.get("/error")
    expect_header(resp, "WWW-Authenticate", 'Basic realm="Login Required"')
