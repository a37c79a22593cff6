"""Hidden checks: POST /contact thanks the sender, or answers 400 with the missing (absent or empty)
fields in the order name, email, message; values in the query string are not form data."""

import pytest

from grader.checks import expect_body, expect_equal, expect_json, expect_status, fail

# (form data, the fields that are missing from it); every field here is absent, not empty.
ABSENT = pytest.mark.parametrize(
    ("form", "missing"),
    [
        ({}, ["name", "email", "message"]),
        ({"name": "Ada"}, ["email", "message"]),
        ({"message": "Hello", "email": "ada@example.com"}, ["name"]),
        ({"email": "ada@example.com"}, ["name", "message"]),
        ({"name": "Ada", "email": "ada@example.com"}, ["message"]),
        ({"message": "Hello"}, ["name", "email"]),
    ],
    ids=["nothing", "only-name", "no-name", "only-email", "no-message", "only-message"],
)


def missing_list(resp):
    """The JSON object's `missing` list, after checking the object's shape."""
    __tracebackhide__ = True
    data = expect_json(resp)
    if not isinstance(data, dict) or sorted(data) != ["error", "missing"]:
        fail(f'POST /contact: expected a JSON object with the keys "error" and "missing", got {data!r:.200}')
    expect_equal(data["error"], "missing fields", "the JSON key `error`")
    if not isinstance(data["missing"], list):
        fail(f"POST /contact: expected the JSON key `missing` to be a list, got {data['missing']!r:.200}")
    return data["missing"]


def expect_missing_as_set(resp, missing):
    __tracebackhide__ = True
    got = missing_list(resp)
    # Order is scored by test_missing_in_order; here only which fields are listed.
    if sorted(got, key=str) != sorted(missing):
        expect_equal(got, missing, "the JSON key `missing` (the absent or empty fields)")


@pytest.mark.parametrize(
    "form",
    [
        {"name": "Ada", "email": "ada@example.com", "message": "Hello!"},
        {"message": "Two lines\nof text & more", "email": "zoe+news@example.org", "name": "Zoë"},
        {"name": "dana_42", "email": "d@example.net", "message": "x", "phone": "555-0100"},  # extra field
    ],
    ids=["ada", "non-ascii-and-symbols", "extra-field"],
)
@pytest.mark.parametrize("encoding", ["application/x-www-form-urlencoded", "multipart/form-data"],
                         ids=["urlencoded", "multipart"])
def test_thanks_message(client, form, encoding):
    resp = client.post("/contact", data=form, content_type=encoding)
    expect_status(resp, 200)
    expect_body(resp, f"Thanks, {form['name']}! We will reply to {form['email']}.")


@ABSENT
def test_missing_fields_400(client, form, missing):
    expect_status(client.post("/contact", data=form), 400)


@ABSENT
def test_missing_fields_json(client, form, missing):
    expect_missing_as_set(client.post("/contact", data=form), missing)


@ABSENT
def test_missing_in_order(client, form, missing):
    got = missing_list(client.post("/contact", data=form))
    # Which fields are listed is scored by test_missing_fields_json; here only their order.
    if sorted(got, key=str) == sorted(missing) and got != missing:
        fail(f"POST /contact: expected `missing` to list the fields in the order name, email, message: "
             f"{missing}, got {got}")


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        ({"name": "", "email": "ada@example.com", "message": "Hello"}, ["name"]),
        ({"name": "Ada", "email": "", "message": ""}, ["email", "message"]),
        ({"name": "", "email": "", "message": ""}, ["name", "email", "message"]),
        ({"email": "", "message": "Hello"}, ["name", "email"]),  # one absent, one empty
    ],
    ids=["empty-name", "empty-email-and-message", "all-empty", "absent-and-empty"],
)
def test_empty_fields_missing(client, form, missing):
    resp = client.post("/contact", data=form)
    expect_status(resp, 400)
    expect_missing_as_set(resp, missing)


COMPLETE = {"name": "Ada", "email": "ada@example.com", "message": "Hello"}


@pytest.mark.parametrize(
    ("query", "form"),
    [
        (COMPLETE, {}),
        ({"message": "Hello"}, {"name": "Ada", "email": "ada@example.com"}),
        ({"name": "Ada", "email": "ada@example.com"}, {"message": "Hello"}),
        ({"name": "Mallory", "email": "mallory@example.com"}, COMPLETE),
    ],
    ids=["all-in-query", "message-in-query", "name-and-email-in-query", "query-overrides-form"],
)
def test_ignores_query_string(client, query, form):
    resp = client.post("/contact", query_string=query, data=form)
    if form != COMPLETE:
        # Only the status: the body of the 400 is scored by the checks above.
        expect_status(resp, 400)
        return
    # The same form without a query string must get the same answer, whatever that answer is (the thanks
    # text itself is scored by test_thanks_message).
    plain = client.post("/contact", data=form)
    expect_status(resp, plain.status_code)
    expect_body(resp, plain.get_data(as_text=True))
