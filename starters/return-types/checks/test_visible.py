"""Checks you can run yourself: GET /ping answers the text pong; GET /status answers a JSON object."""

from grader.checks import expect_body, expect_json, expect_status


def test_ping_returns_pong(client):
    # "`GET /ping` | **200** | the text `pong`"; "`pong` ... with no quotes, spaces or newline around them"
    resp = client.get("/ping")
    expect_status(resp, 200)
    expect_body(resp, "pong")


def test_status_returns_json(client):
    # "`GET /status` | **200** | the JSON `{"ok": true, "version": 1}` | Content-Type `application/json`";
    # "`ok` is the JSON `true` (not `1` or `"true"`) and `version` the number `1` (not `"1"`), with no other
    # keys": expect_json keeps true and 1 apart, though Python's 1 == True.
    resp = client.get("/status")
    expect_status(resp, 200)
    expect_json(resp, {"ok": True, "version": 1})
