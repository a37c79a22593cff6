# expect: partial (fails: rejects-non-object-json, rejects-non-json-body)
# Calls data.get(...) without checking that the body is a JSON object: get_json(silent=True) gives None for a
# body that is not JSON, and a list or a string has no .get, so the route crashes with a 500.
from flask import Flask, jsonify, request

app = Flask(__name__)
items = {}


@app.post("/items")
def create_item():
    data = request.get_json(silent=True)
    name, price = data.get("name"), data.get("price")
    if not isinstance(name, str) or not name:
        return {"error": "bad name"}, 400
    if isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0:
        return {"error": "bad price"}, 400
    item = {"id": len(items) + 1, "name": name, "price": price}
    items[item["id"]] = item
    return jsonify(item), 201, {"Location": f"/items/{item['id']}"}


@app.get("/items/<int:item_id>")
def get_item(item_id):
    if item_id not in items:
        return {"error": "Not Found"}, 404
    return items[item_id]
