"""Checks you can run yourself: POST /login greets the user; GET /login is not allowed."""

from grader.checks import expect_body, expect_status


def test_greets_user(client):
    # "answers with status 200 and the body exactly `Hello <username> from <source>`": the console example.
    resp = client.post("/login?source=web", json={"username": "alice"})
    expect_status(resp, 200)
    expect_body(resp, "Hello alice from web")


def test_rejects_get(client):
    # "The route only accepts `POST`. A `GET /login` must answer 405 Method Not Allowed"
    resp = client.get("/login")
    expect_status(resp, 405)
