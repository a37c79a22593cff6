# expect: partial (fails: unknown-item-404)
# abort(404) with no errorhandler: an unknown id gets Flask's HTML "Not Found" page, not the JSON.
from flask import Flask, abort, jsonify, request

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
    item = {"id": len(items) + 1, "name": name, "price": price}
    items[item["id"]] = item
    return jsonify(item), 201, {"Location": f"/items/{item['id']}"}


@app.get("/items/<int:item_id>")
def get_item(item_id):
    if item_id not in items:
        abort(404)
    return items[item_id]
