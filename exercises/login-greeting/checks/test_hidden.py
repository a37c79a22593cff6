"""Hidden checks: the greeting uses the request's own username and source, with or without a
User-Agent header."""

import pytest

from grader.checks import expect_body, expect_status


@pytest.mark.parametrize(
    ("username", "source"),
    [
        ("Bob", "mobile"),
        ("dana_42", "newsletter"),
        ("Zoë", "the app"),  # non-ASCII name; a space in the query string
        ("alice", "email"),  # same user as the visible check, another source
    ],
    ids=["Bob-mobile", "dana_42-newsletter", "non-ascii-and-space", "alice-email"],
)
def test_greets_any_user_and_source(client, username, source):
    resp = client.post("/login", query_string={"source": source}, json={"username": username})
    expect_status(resp, 200)
    expect_body(resp, f"Hello {username} from {source}")


def test_works_without_user_agent(client):
    resp = client.post("/login?source=cli", json={"username": "carol"}, user_agent=None)
    expect_status(resp, 200)
    expect_body(resp, "Hello carol from cli")
