"""Hidden checks: ids count up, GET lists what POST created in order, bad bodies answer 400 and create
nothing, and the other methods answer 405.

Each check scores what its title names: whether a bad body is rejected is scored apart from whether a rejected
one creates a note, and the order of the list only by `get-lists-in-order`."""

import pytest

from grader.checks import expect_equal, expect_json, expect_json_error, expect_rejected_like, expect_status, fail

# A repeated text is a new note; quotes, & < > and non-ASCII come back as they were sent.
TEXTS = ["buy milk", "call Ana at 5", "Zoë's café ☕", "x", 'say "hi" & <wave>', "buy milk"]

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
    """POST a note; returns (the JSON answer, the response). 201 rather than 200 is `post-creates-note`'s."""
    __tracebackhide__ = True
    resp = client.post("/notes", json={"text": text})
    expect_status(resp, (200, 201))
    return expect_json(resp), resp


def list_notes(client):
    """GET /notes; returns (the JSON list, the response)."""
    __tracebackhide__ = True
    resp = client.get("/notes")
    expect_status(resp, 200)
    return expect_json(resp), resp


def test_ids_count_up(client):
    # "Ids count up from **1**: the first note has id 1, the second id 2, and so on": the first id is scored
    # by the visible check; here each note must get the next id, and answer its own text (quotes, accents and
    # characters HTML would escape included).
    first, resp = create(client, TEXTS[0])
    expect_equal(first.get("text") if isinstance(first, dict) else first, TEXTS[0], "the text of the first note",
                 resp)
    start = first.get("id") if isinstance(first, dict) else None
    if not isinstance(start, int):
        fail(f"POST /notes: expected an integer `id`, got {first!r}", resp)
    for n, text in enumerate(TEXTS[1:], start=1):
        note, resp = create(client, text)
        expect_equal(note, {"id": start + n, "text": text}, f"the answer to POST number {n + 1}", resp)


def test_get_lists_in_order(client):
    # "Answer **200** with a JSON **list** of every note created so far, oldest first", each as POST answered it.
    created = []
    for text in TEXTS:
        created.append(create(client, text)[0])
        notes, resp = list_notes(client)
        expect_equal(notes, created, f"the notes GET /notes lists after {len(created)} POST(s)", resp,
                     hint="oldest first: append each new note at the end" if sorted(map(str, notes)) ==
                     sorted(map(str, created)) else None)


# "Otherwise answer **400** with a JSON object holding a non-empty `error` message": no `text` key, an empty
# `text`, a `text` that is not a string, and JSON that is not an object.
@pytest.mark.parametrize("body", BAD_TEXT_BODIES, ids=BAD_TEXT_IDS)
def test_rejects_bad_text(client, body):
    expect_json_error(client.post("/notes", data=body, content_type="application/json"), 400)


# "a body that is not JSON at all (form data, plain text, broken JSON, an empty body), whether or not the
# request claims `Content-Type: application/json`"
@pytest.mark.parametrize(("body", "content_type"), NON_JSON_BODIES, ids=NON_JSON_IDS)
def test_rejects_non_json_body(client, body, content_type):
    # Rejected as this app rejects an empty text (`rejects-bad-text` scores the shape of that 400).
    rejected = client.post("/notes", json={"text": ""})
    expect_rejected_like(client.post("/notes", data=body, content_type=content_type), rejected)


def test_rejected_post_creates_nothing(client):
    # "...and create nothing" ("the next `GET` and the next id show it"): for each POST this app rejects, the
    # list is the same before and after, and the next note's id follows the last one. A bad body the app
    # accepts is the business of the two checks above; the order of the list is `get-lists-in-order`'s.
    first, _ = create(client, "before")
    client.raise_on_exception = False  # a crash is a rejection like any other here
    for body, content_type in [*((b, "application/json") for b in BAD_TEXT_BODIES), *NON_JSON_BODIES]:
        before, _ = list_notes(client)
        resp = client.post("/notes", data=body, content_type=content_type)
        if resp.status_code in (200, 201):
            continue
        after, listed = list_notes(client)
        if after != before:
            fail(f"POST /notes with the body {body!r} was rejected (status {resp.status_code}), but GET /notes "
                 f"then listed {len(after)} note(s) instead of {len(before)}: {after!r:.300}", resp)
    client.raise_on_exception = True
    notes, _ = list_notes(client)
    ids = [n.get("id") for n in notes if isinstance(n, dict) and isinstance(n.get("id"), int)]
    second, resp = create(client, "after")
    if ids and isinstance(second, dict) and second.get("id") != max(ids) + 1:
        fail(f"POST /notes after rejected POSTs: expected the id {max(ids) + 1} (the last note's id + 1: a "
             f"rejected POST uses up no id), got {second.get('id')!r}", resp)


# "`PUT`, `DELETE` and `PATCH` on `/notes` answer **405 Method Not Allowed**"
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_405(client, method):
    expect_status(client.open("/notes", method=method, json={"text": "buy milk"}), 405)
