"""Hidden checks: /ping's content type, the three parts of /teapot's response, and DELETE /session's 204,
each scored on its own."""

from grader.checks import expect_body, expect_equal, expect_header, expect_status


def test_ping_is_html(client):
    # "Content-Type `text/html` (what Flask sends for a returned string)"
    resp = client.get("/ping")
    expect_status(resp, 200)  # the content type of an error page or a placeholder earns nothing
    expect_equal(resp.mimetype, "text/html", "the Content-Type", resp)


def test_teapot_status_418(client):
    # "`GET /teapot` | **418**"
    expect_status(client.get("/teapot"), 418)


def test_teapot_body(client):
    # "the text `I'm a teapot`"; "with no quotes, spaces or newline around them" (the ' is not escaped)
    expect_body(client.get("/teapot"), "I'm a teapot")


def test_teapot_header(client):
    # "the header `X-Brew: tea`"
    expect_header(client.get("/teapot"), "X-Brew", "tea")


def test_delete_session_204(client):
    # "`DELETE /session` | **204** | empty"
    resp = client.delete("/session")
    expect_status(resp, 204)
    expect_body(resp, "")
