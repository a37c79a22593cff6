# expect: partial (fails: distinct-ids)
# Copies the statement's example and gives every item the id 1, so each new item overwrites the last.
from flask import Flask, jsonify, request

app = Flask(__name__)
items = {}


@app.post("/items")
def create_item():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"error": "expected a JSON object"}, 400
    name, price = data.get("name"), data.get("price")
    if not isinstance(name, str) or not name:
        return {"error": "bad name"}, 400
    if isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0:
        return {"error": "bad price"}, 400
    items[1] = {"id": 1, "name": name, "price": price}
    return jsonify(items[1]), 201, {"Location": "/items/1"}


@app.get("/items/<int:item_id>")
def get_item(item_id):
    if item_id not in items:
        return {"error": "Not Found"}, 404
    return items[item_id]
