"""Hidden checks: the Location header, other prices, distinct ids, the 404 for unknown ids, and every kind of
bad body answering 400, each scored on its own."""

import json
from urllib.parse import urlsplit

import pytest

from grader.checks import (
    CheckFailure,
    expect_equal,
    expect_header,
    expect_json,
    expect_json_error,
    expect_status,
    fail,
)


def post_item(client, name, price):
    """POST a valid item; returns its id and the response. Only `creates-item` insists on 201 over 200."""
    __tracebackhide__ = True
    resp = client.post("/items", json={"name": name, "price": price})
    if resp.status_code not in (200, 201):
        sent = json.dumps({"name": name, "price": price}, ensure_ascii=False)
        fail(f"POST /items with the JSON {sent}: expected status 201, got {resp.status_code}")
    data = expect_json(resp)
    item_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        fail(f"POST /items: expected the JSON key `id` to be an integer, got {data!r}")
    expect_json(resp, {"id": item_id, "name": name, "price": price})
    return item_id, resp


def expect_rejected(resp, sent):
    """400 with {"error": "<non-empty string>"}; the message names the body sent, as the check is hidden."""
    __tracebackhide__ = True
    try:
        expect_json_error(resp, 400)
    except CheckFailure as exc:
        fail(f"{exc} (the request sent {sent})")


def expect_item(resp, item):
    __tracebackhide__ = True
    expect_status(resp, 200)
    expect_json(resp, item)


# Float prices, like the visible check's: whole-number prices are `accepts-int-and-float-prices`' business.
ITEMS = [("pen", 1.5), ("mug", 3.25), ("sticker", 0.5)]


def test_location_header(client):
    for name, price in ITEMS:
        item_id, resp = post_item(client, name, price)
        location = expect_header(resp, "Location")
        expect_equal(urlsplit(location).path, f"/items/{item_id}", f"the path of `Location: {location}`")


@pytest.mark.parametrize(
    ("name", "price"),
    [("mug", 3), ("sticker", 0), ("gift card", 0.0), ("notebook", 0.99), ("Zoë's lamp", 1250.5),
     ("desk", 1000000), ("x", 7)],
    ids=["int", "zero", "zero-float", "float", "non-ascii-name", "large-int", "one-letter-name"],
)
def test_accepts_int_and_float_prices(client, name, price):
    post_item(client, name, price)


def test_distinct_ids(client):
    ids = [post_item(client, name, price)[0] for name, price in ITEMS]
    if len(set(ids)) != len(ids):
        fail(f"POST /items: expected a different id for each of {len(ids)} items, got the ids {ids}")
    for item_id, (name, price) in zip(ids, ITEMS):
        expect_item(client.get(f"/items/{item_id}"), {"id": item_id, "name": name, "price": price})


@pytest.mark.parametrize(
    ("items_before", "offset"),
    [(0, 0), (0, 1), (0, 42), (0, 999999), (2, 1), (2, 1000)],
    ids=["no-items-id-0", "no-items-id-1", "no-items-id-42", "no-items-id-999999", "after-two-items-next-id",
         "after-two-items-far-id"],
)
def test_unknown_item_404(client, items_before, offset):
    """Asks for id `offset` in a fresh app, or for (largest id created + offset) after creating items."""
    ids = [post_item(client, f"item {n}", n + 0.5)[0] for n in range(items_before)]
    resp = client.get(f"/items/{max([0, *ids]) + offset}")
    expect_status(resp, 404)
    expect_json(resp, {"error": "Not Found"})


@pytest.mark.parametrize(
    "body",
    [{"price": 1.5}, {"name": "", "price": 1.5}, {"name": None, "price": 1.5}, {"name": 42, "price": 1.5},
     {"name": ["pen"], "price": 1.5}, {"name": True, "price": 1.5}, {"name": {"text": "pen"}, "price": 1.5}],
    ids=["missing", "empty", "null", "number", "list", "bool", "object"],
)
def test_rejects_bad_name(client, body):
    expect_rejected(client.post("/items", json=body), f"the JSON {json.dumps(body)}")


@pytest.mark.parametrize(
    "body",
    [{"name": "pen"}, {"name": "pen", "price": -1}, {"name": "pen", "price": -0.01},
     {"name": "pen", "price": "1.5"}, {"name": "pen", "price": None}, {"name": "pen", "price": True},
     {"name": "pen", "price": False}, {"name": "pen", "price": [1.5]}, {"name": "pen", "price": {"amount": 1.5}}],
    ids=["missing", "negative-int", "negative-float", "string", "null", "true", "false", "list", "object"],
)
def test_rejects_bad_price(client, body):
    expect_rejected(client.post("/items", json=body), f"the JSON {json.dumps(body)}")


@pytest.mark.parametrize(
    "body",
    ['["pen", 1.5]', '[{"name": "pen", "price": 1.5}]', '"pen"', "42", "null", "true"],
    ids=["list", "list-of-item", "string", "number", "null", "bool"],
)
def test_rejects_non_object_json(client, body):
    resp = client.post("/items", data=body, content_type="application/json")
    expect_rejected(resp, f"the JSON {body}")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"name": "pen", "price": 1.5', "application/json"),
        ("name=pen&price=1.5", "application/json"),
        ("", "application/json"),
        ("name=pen&price=1.5", "application/x-www-form-urlencoded"),
        ("pen 1.5", "text/plain"),
        ("pen 1.5", None),
        ("", None),
    ],
    ids=[
        "broken-json", "form-text-labelled-json", "empty-labelled-json", "form-data", "plain-text",
        "text-without-content-type", "empty-without-content-type",
    ],
)
def test_rejects_non_json_body(client, body, content_type):
    resp = client.post("/items", data=body, content_type=content_type)
    expect_rejected(resp, f"the body {body!r} with Content-Type {content_type or '(none)'}")
