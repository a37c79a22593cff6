"""Hidden checks: the greeting uses the request's own username and source, whatever characters they hold, with
or without a User-Agent header.

Each check scores one property and compares the rest with what this app answers elsewhere, so one mistake
costs one check: the fixed words of the greeting are `greets-user`'s (the visible check), so the cases
here expect this app's own greeting for alice from web with only the username and source changed."""

import pytest

from grader.checks import expect_body, expect_status, fail

VISIBLE = ("alice", "web")  # the visible check's request (statement: the console example)


def greeting_for(client, username, source):
    """What the statement's greeting template becomes in this app: its answer to the visible request with
    the username and source swapped in; the statement's own template when that answer does not hold them."""
    resp = client.post("/login", query_string={"source": VISIBLE[1]}, json={"username": VISIBLE[0]})
    body = resp.get_data(as_text=True)
    template = "Hello \0u from \0s"
    if (resp.status_code == 200 and body.count(VISIBLE[0]) == 1 and body.count(VISIBLE[1]) == 1
            and body.index(VISIBLE[0]) < body.index(VISIBLE[1])):
        template = body.replace(VISIBLE[0], "\0u").replace(VISIBLE[1], "\0s")
    return template.replace("\0u", username).replace("\0s", source)


@pytest.mark.parametrize(
    ("username", "source"),
    [
        # "for several usernames and sources (so a hard-coded greeting will not do)"
        ("Bob", "mobile"),
        ("dana_42", "newsletter"),
        ("alice", "email"),  # same user as the visible check, another source
        # "the body **exactly** `Hello <username> from <source>`": exactly, so characters that HTML would
        # escape, spaces and non-ASCII letters come back as they were sent.
        ("O'Brien", "web"),
        ('Ann "the <b>boss</b>" & co', "a&b <c> 'd'"),  # query_string= encodes & < > ' and spaces
        ("Zoë", "the app"),
        ("Mary Ann", "search engine"),
    ],
    ids=["Bob-mobile", "dana_42-newsletter", "alice-email", "apostrophe", "html-special-characters",
         "non-ascii-and-space", "spaces"],
)
def test_greets_any_user_and_source(client, username, source):
    # "the username, from the JSON body" / "the source, from the query string"
    resp = client.post("/login", query_string={"source": source}, json={"username": username})
    expect_status(resp, 200)
    expected = greeting_for(client, username, source)
    hint = None
    if expected != f"Hello {username} from {source}":
        hint = ("this check expects your own greeting for alice from web (the visible check) with only the "
                "username and source changed")
    expect_body(resp, expected, hint=hint)


def test_works_without_user_agent(client):
    # "Clients may or may not send a `User-Agent` header; ... the greeting must work either way": the same
    # request without one gets the same answer as with one (the greeting itself is scored above).
    request = {"query_string": {"source": "cli"}, "json": {"username": "carol"}}
    client.raise_on_exception = False  # a crash is compared like any answer: as a 500
    with_agent = client.post("/login", **request)
    resp = client.post("/login", user_agent=None, **request)
    if (resp.status_code, resp.get_data()) != (with_agent.status_code, with_agent.get_data()):
        fail(f"POST /login?source=cli without a User-Agent header: expected the same answer as with one "
             f"(status {with_agent.status_code}, body {with_agent.get_data(as_text=True)[:200]!r}), got status "
             f"{resp.status_code} with body {resp.get_data(as_text=True)[:200]!r}", resp,
             hint="request.headers.get('User-Agent') gives None when there is none; request.headers['User-Agent'] "
                  "answers 400" if resp.status_code == 400 else None)
