"""Checks you can run yourself: q finds the titles that contain it; limit keeps the first results."""

import pytest

from grader.checks import expect_json, expect_status

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]
FLASK = ["Flask Templates", "Flask Request & Response", "Flask REST API"]


@pytest.mark.parametrize(
    ("q", "results"),
    [("Flask", FLASK), ("Testing", ["Testing with Pytest"])],
    ids=["Flask", "Testing"],
)
def test_finds_matching_titles(client, q, results):
    resp = client.get("/search", query_string={"q": q})
    expect_status(resp, 200)
    expect_json(resp, {"query": q, "count": len(results), "results": results})


@pytest.mark.parametrize(
    ("q", "limit", "results"),
    [
        ("Flask", 2, FLASK[:2]),
        ("Flask", 1, FLASK[:1]),
        ("Flask", 3, FLASK),
        ("Flask", 10, FLASK),  # more than there are results
        ("", 4, COURSES[:4]),
    ],
    ids=["Flask-2", "Flask-1", "Flask-3-exactly-all", "Flask-10-more-than-all", "empty-q-4"],
)
def test_limit_keeps_first(client, q, limit, results):
    resp = client.get("/search", query_string={"q": q, "limit": str(limit)})
    expect_status(resp, 200)
    expect_json(resp, {"query": q, "count": len(results), "results": results})
