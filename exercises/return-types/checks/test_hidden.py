"""Hidden checks: /ping's content type, the three parts of /teapot's response, and DELETE /session's 204,
each scored on its own."""

from grader.checks import expect_body, expect_equal, expect_header, expect_status


def test_ping_is_html(client):
    resp = client.get("/ping")
    expect_status(resp, 200)  # the content type of an error page or a placeholder earns nothing
    expect_equal(resp.mimetype, "text/html", "the Content-Type of GET /ping")


def test_teapot_status_418(client):
    expect_status(client.get("/teapot"), 418)


def test_teapot_body(client):
    expect_body(client.get("/teapot"), "I'm a teapot")


def test_teapot_header(client):
    expect_header(client.get("/teapot"), "X-Brew", "tea")


def test_delete_session_204(client):
    resp = client.delete("/session")
    expect_status(resp, 204)
    expect_body(resp, "")
