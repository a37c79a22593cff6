"""Checks you can run yourself: known keys answer their definition; an unknown key answers 404."""

import pytest

from grader.checks import expect_json, expect_status

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@pytest.mark.parametrize("key", sorted(GLOSSARY))
def test_known_key(client, key):
    resp = client.get(f"/lookup/{key}")
    expect_status(resp, 200)
    expect_json(resp, {"key": key, "value": GLOSSARY[key]})


@pytest.mark.parametrize("key", ["ruby", "django"])
def test_unknown_key_404(client, key):
    resp = client.get(f"/lookup/{key}")
    expect_status(resp, 404)
