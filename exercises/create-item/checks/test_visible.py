"""Checks you can run yourself: POST /items creates an item; GET /items/<id> reads it back."""

from grader.checks import describe_request, expect_json, expect_status, fail


def item_id_of(resp):
    """The integer `id` of the JSON object `resp` holds."""
    __tracebackhide__ = True
    data = expect_json(resp)
    item_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        fail(f"{describe_request(resp)}: expected the JSON key `id` to be an integer, got {data!r}", resp)
    return item_id


def test_creates_item(client):
    # "answer **201 Created** with ... the JSON object `{"id": <id>, "name": <name>, "price": <price>}`
    # (exactly these three keys)"
    resp = client.post("/items", json={"name": "pen", "price": 1.5})
    expect_status(resp, 201)
    item_id = item_id_of(resp)
    expect_json(resp, {"id": item_id, "name": "pen", "price": 1.5})


def test_get_created_item(client):
    # "Answer **200** with the same JSON object that `POST /items` answered for that item": compared with this
    # app's own POST answer, so what POST answers is `creates-item`'s to score.
    created = client.post("/items", json={"name": "pen", "price": 1.5})
    item_id = item_id_of(created)
    resp = client.get(f"/items/{item_id}")
    expect_status(resp, 200)
    expect_json(resp, created.get_json())
