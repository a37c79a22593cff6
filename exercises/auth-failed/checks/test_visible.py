"""Check you can run yourself: GET /error answers 401."""

from grader.checks import expect_status


def test_status_401(client):
    # "the status code **401 Unauthorized**"
    resp = client.get("/error")
    expect_status(resp, 401)
