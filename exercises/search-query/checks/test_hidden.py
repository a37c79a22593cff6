"""Hidden checks: matching ignores letter case, no match gives [], no or empty q lists every course, `query`
echoes q, `count` counts `results`, and bad limits answer 400 with a JSON error.

Each check scores one key of the answer, so one mistake costs one check: the titles are in `results`, the echo
is `query`'s check, the number is `count`'s."""

import pytest

from grader.checks import (
    describe_request,
    expect_json,
    expect_json_error,
    expect_json_key,
    expect_status,
    fail,
    json_key,
)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]
FLASK = ["Flask Templates", "Flask Request & Response", "Flask REST API"]


def expect_results(resp, results):
    __tracebackhide__ = True
    expect_status(resp, 200)
    expect_json_key(resp, "results", results)


# "titles that **contain** `q`, in any letter case (`flask`, `Flask` and `FLASK` find the same titles)"
@pytest.mark.parametrize(
    ("q", "results"),
    [
        ("flask", FLASK),
        ("FLASK", FLASK),
        ("fLaSk", FLASK),
        ("rest", ["Flask REST API"]),
        ("PY", ["Python Basics", "Testing with Pytest"]),
        ("request & response", ["Flask Request & Response"]),  # query_string= encodes the & as %26
    ],
    ids=["flask", "FLASK", "fLaSk", "rest", "PY", "request-and-response"],
)
def test_ignores_letter_case(client, q, results):
    expect_results(client.get("/search", query_string={"q": q}), results)


# `?q=django` in the console example: `"results": []`
@pytest.mark.parametrize("q", ["Django", "flasks"])
def test_no_match_empty_list(client, q):
    expect_results(client.get("/search", query_string={"q": q}), [])


# "Without `q`, or with an empty `q`, every title matches."
@pytest.mark.parametrize("path", ["/search", "/search?q="], ids=["no-q", "empty-q"])
def test_no_query_lists_all(client, path):
    expect_results(client.get(path), COURSES)


# "`query` is `q` exactly as sent (`""` when there is none)": letter case, spaces, &, quotes and accents kept.
@pytest.mark.parametrize(
    ("params", "query"),
    [
        ({"q": "Flask"}, "Flask"),
        ({"q": "FLASK"}, "FLASK"),
        ({"q": "request & response"}, "request & response"),
        ({"q": "<b>Zoë's</b> \"café\""}, "<b>Zoë's</b> \"café\""),
        ({"q": ""}, ""),
        ({}, ""),
    ],
    ids=["Flask", "FLASK", "ampersand-and-spaces", "html-special-and-non-ascii", "empty-q", "no-q"],
)
def test_echoes_query(client, params, query):
    resp = client.get("/search", query_string=params)
    if not params and resp.status_code != 200:
        return  # a search without q that fails is `no-query-lists-all`'s to score
    expect_status(resp, 200)
    expect_json_key(resp, "query", query)


# "`count` the number of titles in `results` (after `limit`)": compared with the `results` this app answered.
@pytest.mark.parametrize(
    "params",
    [{"q": "Flask"}, {"q": "Flask", "limit": "2"}, {"q": "Django"}, {"q": ""}, {"q": "Flask", "limit": "10"},
     {"q": "", "limit": "1"}],
    ids=["Flask", "Flask-limit-2", "no-match", "empty-q", "limit-above-matches", "empty-q-limit-1"],
)
def test_count_is_number_of_results(client, params):
    if "limit" in params:
        client.raise_on_exception = False
        resp = client.get("/search", query_string=params)
        if resp.status_code != 200:
            return  # a limit that is not applied at all is `limit-keeps-first`'s to score
    else:
        resp = client.get("/search", query_string=params)
    expect_status(resp, 200)
    data = expect_json(resp)
    results = json_key(resp, data, "results")
    count = json_key(resp, data, "count")
    if not isinstance(results, list):
        return  # no list to count: the results checks score that
    if count != len(results) or isinstance(count, bool):
        fail(f"{describe_request(resp)}: expected \"count\" to be {len(results)}, the number of titles in "
             f"\"results\", got {count!r}", resp,
             hint="count the results after cutting them to `limit`" if "limit" in params else None)


# "A `limit` that is not a whole number (`abc`, `2.5`) or is below 1 (`0`, `-1`) answers **400** with a JSON
# object holding a non-empty `error` message"
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
