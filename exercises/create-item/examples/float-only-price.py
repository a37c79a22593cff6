# expect: partial (fails: accepts-int-and-float-prices)
# isinstance(price, float) turns away whole-number prices such as 3 or 0, which JSON sends as integers.
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
    if not isinstance(price, float) or price < 0:
        return {"error": "price must be a float >= 0"}, 400
    item = {"id": len(items) + 1, "name": name, "price": price}
    items[item["id"]] = item
    return jsonify(item), 201, {"Location": f"/items/{item['id']}"}


@app.get("/items/<int:item_id>")
def get_item(item_id):
    if item_id not in items:
        return {"error": "Not Found"}, 404
    return items[item_id]
