"""Hidden checks: the 404's JSON body and custom header, each scored on its own, for several unknown keys;
and keys in another letter case are unknown keys."""

import pytest

from grader.checks import expect_header, expect_json, fail

DEFINITIONS = ("A programming language", "A web framework")

# "**Unknown key** (anything else)": other words, a prefix of a known key, and keys with spaces, characters
# HTML would escape and non-ASCII letters (all percent-encoded in the URL).
UNKNOWN = pytest.mark.parametrize(
    "path",
    ["/lookup/ruby", "/lookup/django", "/lookup/py", "/lookup/no%20such%20key", "/lookup/caf%C3%A9",
     "/lookup/a%26b%3Cc%3E%27%22"],
    ids=["ruby", "django", "prefix-of-a-key", "with-spaces", "non-ascii", "html-special-characters"],
)


@UNKNOWN
def test_unknown_key_json(client, path):
    # "answer **404 Not Found** with the JSON `{"error": "Not Found"}`" (the status is `unknown-key-404`'s)
    expect_json(client.get(path), {"error": "Not Found"})


@UNKNOWN
def test_unknown_key_header(client, path):
    # "and the header `X-Custom-Header: Value`"
    expect_header(client.get(path), "X-Custom-Header", "Value")


@pytest.mark.parametrize("key", ["Python", "PYTHON", "Flask"])
def test_exact_key_match(client, key):
    # "Keys match exactly, letter case included: `python` is known, `Python` and `PYTHON` are not." Compared
    # with what this app answers for a key that is surely unknown (status, the custom header, and no
    # definition), so a mistake in the 404 itself is scored by the checks above and not again here.
    unknown = client.get("/lookup/ruby")
    resp = client.get(f"/lookup/{key}")
    body = resp.get_data(as_text=True)
    same = (resp.status_code == unknown.status_code
            and resp.headers.get("X-Custom-Header") == unknown.headers.get("X-Custom-Header"))
    if not same or any(d in body for d in DEFINITIONS):
        fail(f"GET /lookup/{key}: keys match exactly, so {key!r} is an unknown key and should get the same "
             f"answer as GET /lookup/ruby (status {unknown.status_code}); got status {resp.status_code} "
             f"with body {body[:200]!r}", resp,
             hint="compare the key as it is: no .lower() before looking it up" if key.lower() in ("python", "flask")
             and any(d in body for d in DEFINITIONS) else None)
