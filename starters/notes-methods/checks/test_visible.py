"""Checks you can run yourself: POST /notes creates note 1; GET /notes starts empty."""

from grader.checks import expect_json, expect_status


def test_post_creates_note(client):
    # "create the note and answer **201 Created** with the new note"; "the first note has id 1"
    resp = client.post("/notes", json={"text": "buy milk"})
    expect_status(resp, 201)
    expect_json(resp, {"id": 1, "text": "buy milk"})


def test_get_empty_at_start(client):
    # "When the app has just started there are none, so the answer is `[]`."
    resp = client.get("/notes")
    expect_status(resp, 200)
    expect_json(resp, [])
