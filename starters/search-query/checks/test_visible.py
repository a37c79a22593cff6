"""Checks you can run yourself: the titles that contain q, in `results`; limit keeps the first results.

Each check looks at `results` only: the echo of `query` and the `count` have checks of their own."""

import pytest

from grader.checks import expect_json, expect_json_key, expect_status, json_key

FLASK = ["Flask Templates", "Flask Request & Response", "Flask REST API"]


@pytest.mark.parametrize(
    ("q", "results"),
    [
        # "The results are the titles that **contain** `q` ... **in the order of `COURSES`**"; queries whose
        # letter case is the titles' own, so that matching in any case is `ignores-letter-case`'s alone.
        ("with", ["Testing with Pytest"]),
        ("ask", FLASK),  # inside a word
        # "(In a URL, `&` separates parameters: ... encode it)": query_string= sends the & as %26
        (" & ", ["Flask Request & Response"]),
    ],
    ids=["with", "inside-a-word", "ampersand-and-spaces"],
)
def test_finds_matching_titles(client, q, results):
    resp = client.get("/search", query_string={"q": q})
    expect_status(resp, 200)
    expect_json_key(resp, "results", results)


def results_of(resp):
    __tracebackhide__ = True
    expect_status(resp, 200)
    return json_key(resp, expect_json(resp), "results")


@pytest.mark.parametrize(
    ("q", "limit"),
    [("Flask", 2), ("Flask", 1), ("Flask", 3), ("Flask", 10), ("", 4)],
    ids=["Flask-2", "Flask-1", "Flask-3-exactly-all", "Flask-10-more-than-all", "empty-q-4"],
)
def test_limit_keeps_first(client, q, limit):
    # "`limit`: ... When given, keep only the **first** `limit` results": the first of what this app finds
    # for the same q without a limit (which titles it finds is scored by the other checks).
    found = results_of(client.get("/search", query_string={"q": q}))
    resp = client.get("/search", query_string={"q": q, "limit": str(limit)})
    expect_status(resp, 200)
    kept = found[:limit] if isinstance(found, list) else found
    expect_json_key(resp, "results", kept)
