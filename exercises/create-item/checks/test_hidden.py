"""Hidden checks: the Location header, other prices, distinct ids, the 404 for unknown ids, and every kind of
bad body answering 400, each scored on its own.

Each check looks at what its title names: the exact answer to POST is `creates-item`'s, 201 rather than 200
too, and what GET answers for an item is `get-created-item`'s; here an item is created when POST answers 200
or 201 with an integer `id`."""

from urllib.parse import urlsplit

import pytest

from grader.checks import (
    describe_request,
    expect_equal,
    expect_header,
    expect_json,
    expect_json_error,
    expect_json_key,
    expect_rejected_like,
    expect_status,
    fail,
)


def post_item(client, name, price):
    """POST a valid item; returns its id and the response."""
    __tracebackhide__ = True
    resp = client.post("/items", json={"name": name, "price": price})
    expect_status(resp, (200, 201))
    data = expect_json(resp)
    item_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        fail(f"{describe_request(resp)}: expected the JSON key `id` to be an integer, got {data!r}", resp)
    return item_id, resp


# Float prices, like the visible check's: whole-number prices are `accepts-int-and-float-prices`' business.
ITEMS = [("pen", 1.5), ("mug", 3.25), ("sticker", 0.5)]


def test_location_header(client):
    # "a `Location` header pointing at the new item, `/items/<id>`. A relative URL ... or an absolute one ...
    # are both fine": only the path is compared.
    for name, price in ITEMS:
        item_id, resp = post_item(client, name, price)
        location = expect_header(resp, "Location")
        expect_equal(urlsplit(location).path, f"/items/{item_id}", f"the path of `Location: {location}`", resp)


# "`price`: a **number** (an integer such as `3` or a float such as `1.5`) that is **at least 0**";
# "`name`: a **non-empty string**" (spaces, quotes, & < > and accents are a string like any other);
# "(other keys in it are not checked)".
@pytest.mark.parametrize(
    "body",
    [{"name": "mug", "price": 3}, {"name": "sticker", "price": 0}, {"name": "gift card", "price": 0.0},
     {"name": "notebook", "price": 0.99}, {"name": "Zoë's lamp", "price": 1250.5}, {"name": "desk", "price": 1000000},
     {"name": "x", "price": 7}, {"name": 'pen "deluxe" <b>&</b>', "price": 2},
     {"name": "cup", "price": 4, "colour": "red"}],
    ids=["int", "zero", "zero-float", "float", "non-ascii-name", "large-int", "one-letter-name",
         "html-special-characters", "extra-key-in-request"],
)
def test_accepts_int_and_float_prices(client, body):
    resp = client.post("/items", json=body)
    expect_status(resp, (200, 201))
    expect_json_key(resp, "name", body["name"])
    expect_json_key(resp, "price", body["price"])


def test_distinct_ids(client):
    # "store the item under a new integer id"; "ids are distinct integers and each item reads back at its own
    # id": GET /items/<id> answers the item with that id (what else it holds is `get-created-item`'s).
    created = [post_item(client, name, price) for name, price in ITEMS]
    ids = [item_id for item_id, _ in created]
    if len(set(ids)) != len(ids):
        resp = created[-1][1]
        fail(f"POST /items: expected a different id for each of {len(ids)} items, got the ids {ids}", resp)
    for item_id in ids:
        resp = client.get(f"/items/{item_id}")
        expect_status(resp, 200)
        expect_json_key(resp, "id", item_id)


@pytest.mark.parametrize(
    ("items_before", "offset"),
    [(0, 0), (0, 1), (0, 42), (0, 999999), (2, 1), (2, 1000)],
    ids=["no-items-id-0", "no-items-id-1", "no-items-id-42", "no-items-id-999999", "after-two-items-next-id",
         "after-two-items-far-id"],
)
def test_unknown_item_404(client, items_before, offset):
    """Asks for id `offset` in a fresh app, or for (largest id created + offset) after creating items."""
    # "For an id that was never created, answer **404** with exactly the JSON `{"error": "Not Found"}`."
    ids = [post_item(client, f"item {n}", n + 0.5)[0] for n in range(items_before)]
    resp = client.get(f"/items/{max([0, *ids]) + offset}")
    expect_status(resp, 404)
    expect_json(resp, {"error": "Not Found"})


def rejected_name(client):
    """This app's answer to a body without a name: how the shape of a 400 is scored (by `rejects-bad-name`),
    the other rejection checks compare with it, so a 422 or a renamed `error` key costs one check."""
    return client.post("/items", json={"price": 1.5})


@pytest.mark.parametrize(
    "body",
    [{"price": 1.5}, {"name": "", "price": 1.5}, {"name": None, "price": 1.5}, {"name": 42, "price": 1.5},
     {"name": ["pen"], "price": 1.5}, {"name": True, "price": 1.5}, {"name": {"text": "pen"}, "price": 1.5}],
    ids=["missing", "empty", "null", "number", "list", "bool", "object"],
)
def test_rejects_bad_name(client, body):
    # "a missing, empty or non-string `name` (`""`, `null`, `42`, `["pen"]`...)"
    expect_json_error(client.post("/items", json=body), 400)


@pytest.mark.parametrize(
    "body",
    [{"name": "pen"}, {"name": "pen", "price": -1}, {"name": "pen", "price": -0.01},
     {"name": "pen", "price": "1.5"}, {"name": "pen", "price": None}, {"name": "pen", "price": True},
     {"name": "pen", "price": False}, {"name": "pen", "price": [1.5]}, {"name": "pen", "price": {"amount": 1.5}}],
    ids=["missing", "negative-int", "negative-float", "string", "null", "true", "false", "list", "object"],
)
def test_rejects_bad_price(client, body):
    # "a missing, negative or non-number `price` (`-1`, `"1.5"`, `null`, `true`, `false`...)"
    expect_rejected_like(client.post("/items", json=body), rejected_name(client))


@pytest.mark.parametrize(
    "body",
    ['["pen", 1.5]', '[{"name": "pen", "price": 1.5}]', '"pen"', "42", "null", "true"],
    ids=["list", "list-of-item", "string", "number", "null", "bool"],
)
def test_rejects_non_object_json(client, body):
    # "JSON that is not an object (`["pen", 1.5]`, `"pen"`, `42`, `null`)"
    expect_rejected_like(client.post("/items", data=body, content_type="application/json"), rejected_name(client))


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
    # "a body that is not JSON at all (form data, plain text, broken JSON, an empty body), whether or not the
    # request claims `Content-Type: application/json`"
    expect_rejected_like(client.post("/items", data=body, content_type=content_type), rejected_name(client))
