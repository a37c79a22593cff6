"""Hidden checks: POST /contact thanks the sender, or answers 400 with the missing (absent or empty)
fields in the order name, email, message; values in the query string are not form data."""

import pytest

from grader.checks import expect_body, expect_json, expect_status, fail

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
    """The JSON object's `missing` list; None when the answer holds no such list (the JSON check scores that)."""
    __tracebackhide__ = True
    data = resp.get_json(silent=True)
    missing = data.get("missing") if isinstance(data, dict) else None
    return missing if isinstance(missing, list) else None


@pytest.mark.parametrize(
    "form",
    [
        {"name": "Ada", "email": "ada@example.com", "message": "Hello!"},
        {"message": "Two lines\nof text & more", "email": "zoe+news@example.org", "name": "Zoë"},
        {"name": "dana_42", "email": "d@example.net", "message": "x", "phone": "555-0100"},  # extra field
        # "the body exactly `Thanks, <name>! We will reply to <email>.`": exactly, so quotes, & < > and spaces
        # come back as they were sent, not HTML-escaped.
        {"name": "Chloé O'Brien <3 & \"co\"", "email": "chloe.o'brien@example.com", "message": "<b>hi</b>"},
    ],
    ids=["ada", "non-ascii-and-symbols", "extra-field", "html-special-characters"],
)
# "(`request.form`, sent as `application/x-www-form-urlencoded` or `multipart/form-data`)"
@pytest.mark.parametrize("encoding", ["application/x-www-form-urlencoded", "multipart/form-data"],
                         ids=["urlencoded", "multipart"])
def test_thanks_message(client, form, encoding):
    # "When all three are present and not empty, answer **200** with the body exactly `Thanks, <name>! We will
    # reply to <email>.`"
    resp = client.post("/contact", data=form, content_type=encoding)
    expect_status(resp, 200)
    expect_body(resp, f"Thanks, {form['name']}! We will reply to {form['email']}.")


@ABSENT
def test_missing_fields_400(client, form, missing):
    # "Otherwise answer **400**"
    expect_status(client.post("/contact", data=form), 400)


@ABSENT
def test_missing_fields_json(client, form, missing):
    # "with the JSON `{"error": "missing fields", "missing": [...]}`, where `missing` lists the fields that are
    # absent": which fields, in any order (the order is `missing-in-order`'s), and the exact `error`.
    resp = client.post("/contact", data=form)
    got = missing_list(resp)
    listed = got if got is not None and sorted(got, key=str) == sorted(missing) else missing
    expect_json(resp, {"error": "missing fields", "missing": listed})


@ABSENT
def test_missing_in_order(client, form, missing):
    # "in the order `name`, `email`, `message`": only the order of the fields listed (which ones is scored by
    # `missing-fields-json`).
    resp = client.post("/contact", data=form)
    got = missing_list(resp)
    if got is not None and sorted(got, key=str) == sorted(missing) and got != missing:
        fail(f"POST /contact: expected `missing` to list the fields in the order name, email, message: "
             f"{missing}, got {got}", resp)


@pytest.mark.parametrize(
    "form",
    [
        {"name": "", "email": "ada@example.com", "message": "Hello"},
        {"name": "Ada", "email": "", "message": ""},
        {"name": "", "email": "", "message": ""},
        {"email": "", "message": "Hello"},  # one absent, one empty
    ],
    ids=["empty-name", "empty-email-and-message", "all-empty", "absent-and-empty"],
)
def test_empty_fields_missing(client, form):
    # "lists the fields that are absent **or empty**": an empty field gets the answer the same form without it
    # gets (what that answer is, is scored by the checks above).
    resp = client.post("/contact", data=form)
    plain = client.post("/contact", data={k: v for k, v in form.items() if v})
    if resp.status_code != plain.status_code or missing_list(resp) != missing_list(plain):
        fail(f"POST /contact with the empty field(s) {', '.join(k for k, v in form.items() if v == '')}: expected "
             f"the same answer as without them (status {plain.status_code}, missing {missing_list(plain)}), got "
             f"status {resp.status_code} with body {resp.get_data(as_text=True)[:200]!r}", resp,
             hint="request.form.get(field) is '' for an empty field: test `if not value`, not `if field in "
                  "request.form`")


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
    # "Values in the query string (`/contact?name=...`) are **not** form data and must be ignored": the same
    # form without a query string gets the same answer, whatever that answer is (it is scored above).
    resp = client.post("/contact", query_string=query, data=form)
    plain = client.post("/contact", data=form)
    expect_status(resp, plain.status_code, hint="read request.form, not request.values or request.args")
    expect_body(resp, plain.get_data(as_text=True), hint="read request.form, not request.values or request.args")
