"""Checks you can run yourself: POST /items creates an item; GET /items/<id> reads it back."""

from grader.checks import expect_json, expect_status, fail


def expect_item(resp, name, price):
    """The JSON {"id": <int>, "name": name, "price": price}; returns the id."""
    __tracebackhide__ = True
    data = expect_json(resp)
    item_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        fail(f"{resp.request.method} {resp.request.path}: expected the JSON key `id` to be an integer, "
             f"got {data!r}")
    expect_json(resp, {"id": item_id, "name": name, "price": price})
    return item_id


def test_creates_item(client):
    resp = client.post("/items", json={"name": "pen", "price": 1.5})
    expect_status(resp, 201)
    expect_item(resp, "pen", 1.5)


def test_get_created_item(client):
    created = client.post("/items", json={"name": "pen", "price": 1.5})
    item_id = expect_item(created, "pen", 1.5)
    resp = client.get(f"/items/{item_id}")
    expect_status(resp, 200)
    expect_json(resp, {"id": item_id, "name": "pen", "price": 1.5})
