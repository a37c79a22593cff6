"""Hidden checks: ids count up, GET lists what POST created in order, bad bodies answer 400 and create
nothing, and the other methods answer 405."""

import pytest

from grader.checks import expect_equal, expect_json, expect_json_error, expect_status, fail

TEXTS = ["buy milk", "call Ana at 5", "Zoë's café ☕", "x", "buy milk"]  # a repeated text is a new note

BAD_TEXT_BODIES = [
    "{}",
    '{"note": "buy milk"}',
    '{"text": ""}',
    '{"text": null}',
    '{"text": 5}',
    '{"text": true}',
    '{"text": ["buy milk"]}',
    '{"text": {"body": "buy milk"}}',
    '["buy milk"]',
    '"buy milk"',
    "42",
    "null",
]
BAD_TEXT_IDS = [
    "empty-object", "no-text-key", "empty-text", "text-null", "text-number", "text-bool", "text-list",
    "text-object", "json-list", "json-string", "json-number", "json-null",
]

NON_JSON_BODIES = [
    ('{"text": "buy milk"', "application/json"),
    ("text=buy+milk", "application/json"),
    ("", "application/json"),
    ("text=buy+milk", "application/x-www-form-urlencoded"),
    ("buy milk", "text/plain"),
    ("buy milk", None),
    ("", None),
]
NON_JSON_IDS = [
    "broken-json", "form-text-labelled-json", "empty-labelled-json", "form-data", "plain-text",
    "text-without-content-type", "empty-without-content-type",
]


def create(client, text):
    __tracebackhide__ = True
    resp = client.post("/notes", json={"text": text})
    expect_status(resp, 201)
    return expect_json(resp)


def list_notes(client):
    __tracebackhide__ = True
    resp = client.get("/notes")
    expect_status(resp, 200)
    return expect_json(resp)


def test_ids_count_up(client):
    # The first id (1) is scored by the visible check; here each note must get the next id.
    first = create(client, TEXTS[0])
    expect_equal(first.get("text") if isinstance(first, dict) else first, TEXTS[0], "the text of the first note")
    start = first.get("id") if isinstance(first, dict) else None
    if not isinstance(start, int):
        fail(f"POST /notes: expected an integer `id`, got {first!r}")
    for n, text in enumerate(TEXTS[1:], start=1):
        expect_equal(create(client, text), {"id": start + n, "text": text}, f"the answer to POST number {n + 1}")


def test_get_lists_in_order(client):
    created = []
    for text in TEXTS:
        created.append(create(client, text))
        expect_equal(list_notes(client), created, f"GET /notes after {len(created)} POST(s)")
    texts = [note.get("text") if isinstance(note, dict) else note for note in list_notes(client)]
    expect_equal(texts, TEXTS, "the texts listed by GET /notes, in order")


@pytest.mark.parametrize("body", BAD_TEXT_BODIES, ids=BAD_TEXT_IDS)
def test_rejects_bad_text(client, body):
    expect_json_error(client.post("/notes", data=body, content_type="application/json"), 400)


@pytest.mark.parametrize(("body", "content_type"), NON_JSON_BODIES, ids=NON_JSON_IDS)
def test_rejects_non_json_body(client, body, content_type):
    expect_json_error(client.post("/notes", data=body, content_type=content_type), 400)


def post_every_bad_body(client):
    # The answers are not looked at here (the two checks above score them), so a crash is no failure.
    client.raise_on_exception = False
    for body in BAD_TEXT_BODIES:
        client.post("/notes", data=body, content_type="application/json")
    for body, content_type in NON_JSON_BODIES:
        client.post("/notes", data=body, content_type=content_type)
    client.raise_on_exception = True


def test_rejected_post_creates_nothing(client):
    post_every_bad_body(client)
    expect_equal(list_notes(client), [], "GET /notes after only rejected POSTs")
    first = create(client, "before")
    post_every_bad_body(client)
    second = create(client, "after")
    if isinstance(first, dict) and isinstance(first.get("id"), int):
        expect_equal(second, {"id": first["id"] + 1, "text": "after"},
                     "the note created after rejected POSTs (its id must follow the previous note's)")
    expect_equal(list_notes(client), [first, second], "GET /notes after two notes and many rejected POSTs")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_405(client, method):
    expect_status(client.open("/notes", method=method, json={"text": "buy milk"}), 405)
