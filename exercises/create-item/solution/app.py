"""Reference solution for create-item."""

from itertools import count

from flask import Flask, jsonify, request, url_for

app = Flask(__name__)

items = {}  # id -> {"id": ..., "name": ..., "price": ...}; each check gets a fresh app
next_id = count(1)


def is_price(value):
    # bool is a subclass of int in Python, but JSON true/false are not prices.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


@app.post("/items")
def create_item():
    data = request.get_json(silent=True)  # None when the body is not JSON
    if not isinstance(data, dict):
        return {"error": 'send a JSON object like {"name": "pen", "price": 1.5}'}, 400
    name, price = data.get("name"), data.get("price")
    if not isinstance(name, str) or not name:
        return {"error": "name must be a non-empty string"}, 400
    if not is_price(price):
        return {"error": "price must be a number >= 0"}, 400
    item = {"id": next(next_id), "name": name, "price": price}
    items[item["id"]] = item
    return jsonify(item), 201, {"Location": url_for("get_item", item_id=item["id"])}


@app.get("/items/<int:item_id>")
def get_item(item_id):
    item = items.get(item_id)
    if item is None:
        return {"error": "Not Found"}, 404
    return item
