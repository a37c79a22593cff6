"""Create item: POST /items stores an item; GET /items/<id> reads it back.

POST /items with the JSON {"name": "pen", "price": 1.5}:
  - name must be a non-empty string; price a number (int or float, but not true/false) that is >= 0;
  - answer 201 with the JSON {"id": <a new integer id>, "name": ..., "price": ...} and the header
    Location: /items/<id>;
  - for anything else (bad or missing fields, JSON that is not an object, a body that is not JSON at all)
    answer 400 with {"error": "<a message>"}.

GET /items/<id>:
  - answer 200 with the same JSON as POST answered, or 404 with {"error": "Not Found"} for an unknown id.

Run it with `flask --app app run` and try:
    curl -i -X POST http://localhost:5000/items -H 'Content-Type: application/json' -d '{"name": "pen", "price": 1.5}'
"""

from flask import Flask, jsonify, request, url_for

app = Flask(__name__)

items = {}  # id -> {"id": ..., "name": ..., "price": ...}


@app.post("/items")
def create_item():
    # TODO: data = request.get_json(silent=True) gives None when the body is not JSON.
    # TODO: check data is a dict, name a non-empty str, price an int or float (not a bool) >= 0;
    #       if not, answer {"error": "..."} with status 400.
    # TODO: pick a new id, store the item in `items`, and answer jsonify(item) with status 201 and
    #       the header Location: url_for("get_item", item_id=...).
    return {"error": "not implemented yet"}, 501


@app.get("/items/<int:item_id>")
def get_item(item_id):
    # TODO: answer the stored item, or {"error": "Not Found"} with status 404.
    return {"error": "not implemented yet"}, 501
