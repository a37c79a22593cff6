"""Checks you can run yourself: GET /ping answers the text pong; GET /status answers a JSON object."""

from grader.checks import expect_body, expect_json, expect_status, fail


def test_ping_returns_pong(client):
    resp = client.get("/ping")
    expect_status(resp, 200)
    expect_body(resp, "pong")


def test_status_returns_json(client):
    resp = client.get("/status")
    expect_status(resp, 200)
    data = expect_json(resp, {"ok": True, "version": 1})
    # In Python 1 == True, so the comparison above would let {"ok": 1, "version": true} through.
    if data["ok"] is not True or isinstance(data["version"], bool):
        fail(f"GET /status: expected `ok` to be the JSON true and `version` the number 1, got {data}")
