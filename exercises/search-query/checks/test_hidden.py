"""Hidden checks: matching ignores letter case, no match gives [], no or empty q lists every course, and
bad limits answer 400 with a JSON error."""

import pytest

from grader.checks import expect_json, expect_json_error, expect_status

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]
FLASK = ["Flask Templates", "Flask Request & Response", "Flask REST API"]


def expect_results(resp, query, results):
    __tracebackhide__ = True
    expect_status(resp, 200)
    expect_json(resp, {"query": query, "count": len(results), "results": results})


@pytest.mark.parametrize(
    ("q", "results"),
    [
        ("flask", FLASK),
        ("FLASK", FLASK),
        ("rest", ["Flask REST API"]),
        ("PY", ["Python Basics", "Testing with Pytest"]),
        ("request & response", ["Flask Request & Response"]),  # query_string= encodes the & as %26
    ],
    ids=["flask", "FLASK", "rest", "PY", "request-and-response"],
)
def test_ignores_letter_case(client, q, results):
    expect_results(client.get("/search", query_string={"q": q}), q, results)


@pytest.mark.parametrize("q", ["Django", "flasks"])
def test_no_match_empty_list(client, q):
    expect_results(client.get("/search", query_string={"q": q}), q, [])


@pytest.mark.parametrize("path", ["/search", "/search?q="], ids=["no-q", "empty-q"])
def test_no_query_lists_all(client, path):
    expect_results(client.get(path), "", COURSES)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "Flask", "limit": "abc"},
        {"q": "Flask", "limit": "2.5"},
        {"q": "Flask", "limit": "0"},
        {"q": "Flask", "limit": "-1"},
        {"q": "", "limit": "ten"},
    ],
    ids=["abc", "decimal", "zero", "negative", "word-with-empty-q"],
)
def test_rejects_bad_limit(client, params):
    expect_json_error(client.get("/search", query_string=params), 400)
