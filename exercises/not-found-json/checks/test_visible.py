"""Checks you can run yourself: known keys answer their definition; an unknown key answers 404."""

import pytest

from grader.checks import expect_json, expect_status

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@pytest.mark.parametrize("key", sorted(GLOSSARY))
def test_known_key(client, key):
    # "**Known key** (one of the glossary's keys): answer **200** with the JSON `{"key": "<key>", "value":
    # "<definition>"}`"
    resp = client.get(f"/lookup/{key}")
    expect_status(resp, 200)
    expect_json(resp, {"key": key, "value": GLOSSARY[key]})


@pytest.mark.parametrize("key", ["ruby", "django"])
def test_unknown_key_404(client, key):
    # "**Unknown key** (anything else): answer **404 Not Found**"
    resp = client.get(f"/lookup/{key}")
    expect_status(resp, 404)
