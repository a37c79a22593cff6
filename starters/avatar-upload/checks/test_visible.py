"""Checks you can run yourself: POST /avatar accepts a PNG upload; a request without an `avatar` file
answers 400."""

import io

import pytest

from grader.checks import expect_json, expect_json_error, expect_status

MULTIPART = "multipart/form-data"


def test_accepts_image(client):
    # "**201 Created** with the JSON `{"filename": "<safe name>", "size": <bytes>}`"
    content = b"not really a PNG, but only the extension is checked"
    resp = client.post("/avatar", data={"avatar": (io.BytesIO(content), "avatar.png")}, content_type=MULTIPART)
    expect_status(resp, 201)
    expect_json(resp, {"filename": "avatar.png", "size": len(content)})


@pytest.mark.parametrize(
    "case",
    ["empty-form", "file-under-another-name", "json-body", "no-body"],
)
def test_rejects_missing_file(client, case):
    # "**400 Bad Request** with a JSON object holding a non-empty `error` message when there is no `avatar` file
    # in the request (no file at all, a file under another field name, a body that is not `multipart/form-data`)"
    if case == "empty-form":
        resp = client.post("/avatar", data={}, content_type=MULTIPART)
    elif case == "file-under-another-name":
        resp = client.post("/avatar", data={"photo": (io.BytesIO(b"bytes"), "avatar.png")}, content_type=MULTIPART)
    elif case == "json-body":
        resp = client.post("/avatar", json={"avatar": "avatar.png"})
    else:
        resp = client.post("/avatar")
    expect_json_error(resp, 400)
