"""Hidden checks: the 404's JSON body and custom header, each scored on its own, for several unknown keys;
and keys in another letter case are unknown keys."""

import pytest

from grader.checks import expect_header, expect_json, fail

DEFINITIONS = ("A programming language", "A web framework")

UNKNOWN = pytest.mark.parametrize(
    "path",
    ["/lookup/ruby", "/lookup/django", "/lookup/py", "/lookup/no%20such%20key"],
    ids=["ruby", "django", "prefix-of-a-key", "with-spaces"],
)


@UNKNOWN
def test_unknown_key_json(client, path):
    expect_json(client.get(path), {"error": "Not Found"})


@UNKNOWN
def test_unknown_key_header(client, path):
    expect_header(client.get(path), "X-Custom-Header", "Value")


@pytest.mark.parametrize("key", ["Python", "PYTHON", "Flask"])
def test_exact_key_match(client, key):
    # Compared with what this app answers for a key that is surely unknown, so a mistake in the 404 itself
    # is scored by the checks above and not again here.
    unknown = client.get("/lookup/ruby")
    resp = client.get(f"/lookup/{key}")
    body = resp.get_data(as_text=True)
    if resp.status_code != unknown.status_code or any(d in body for d in DEFINITIONS):
        fail(f"GET /lookup/{key}: keys match exactly, so {key!r} is an unknown key and should get the same "
             f"answer as GET /lookup/ruby (status {unknown.status_code}); got status {resp.status_code} "
             f"with body {body[:200]!r}")
