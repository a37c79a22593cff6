# expect: partial (fails: get-created-item)
# GET /items/<id> adds a key of its own ("url"), so it no longer answers the same JSON object that POST
# answered for the item; the ids themselves are fine.
from flask import Flask, jsonify, request

app = Flask(__name__)
items = {}


def is_price(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


@app.post("/items")
def create_item():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"error": "send a JSON object"}, 400
    name, price = data.get("name"), data.get("price")
    if not isinstance(name, str) or not name:
        return {"error": "name must be a non-empty string"}, 400
    if not is_price(price):
        return {"error": "price must be a number >= 0"}, 400
    item = {"id": len(items) + 1, "name": name, "price": price}
    items[item["id"]] = item
    return jsonify(item), 201, {"Location": f"/items/{item['id']}"}


@app.get("/items/<int:item_id>")
def get_item(item_id):
    if item_id not in items:
        return {"error": "Not Found"}, 404
    return {**items[item_id], "url": f"/items/{item_id}"}
