# expect: full
# A create_app() factory; random ids; validation raises an exception that an errorhandler turns into the
# 400, and an errorhandler(404) answers the JSON for unknown ids; make_response with a relative Location.
import random
from numbers import Real

from flask import Flask, abort, make_response, request


class InvalidItem(Exception):
    pass


def parse_item(data):
    if not isinstance(data, dict):
        raise InvalidItem("expected a JSON object")
    name, price = data.get("name"), data.get("price")
    if not isinstance(name, str) or len(name) == 0:
        raise InvalidItem("name must be a non-empty string")
    if isinstance(price, bool) or not isinstance(price, Real) or price < 0:
        raise InvalidItem("price must be a number >= 0")
    return name, price


def create_app():
    app = Flask(__name__)
    store = {}

    @app.errorhandler(InvalidItem)
    def invalid_item(error):
        return {"error": str(error)}, 400

    @app.errorhandler(404)
    def not_found(error):
        return {"error": "Not Found"}, 404

    @app.post("/items")
    def create_item():
        name, price = parse_item(request.get_json(silent=True))
        item_id = random.randrange(1, 10**9)
        while item_id in store:
            item_id = random.randrange(1, 10**9)
        store[item_id] = {"id": item_id, "name": name, "price": price}
        response = make_response(store[item_id], 201)
        response.headers["Location"] = f"/items/{item_id}"
        return response

    @app.get("/items/<int:item_id>")
    def get_item(item_id):
        if item_id not in store:
            abort(404)
        return store[item_id]

    return app
