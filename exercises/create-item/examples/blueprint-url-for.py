# expect: full
# A Blueprint; ids count up from 1000; an absolute Location from url_for(_external=True); bad input ends the
# request with abort(Response) carrying the JSON error.
from itertools import count

from flask import Blueprint, Flask, abort, jsonify, request, url_for

shop = Blueprint("shop", __name__)
items = {}
ids = count(1000)


def bad_request(message):
    response = jsonify(error=message)
    response.status_code = 400
    abort(response)


@shop.route("/items", methods=["POST"])
def create_item():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        bad_request("the body must be a JSON object")
    name = data.get("name")
    price = data.get("price")
    if type(name) is not str or name == "":
        bad_request("name must be a non-empty string")
    if type(price) not in (int, float) or price < 0:  # type() is exact: bool is not int here
        bad_request("price must be a number >= 0")
    item_id = next(ids)
    items[item_id] = {"id": item_id, "name": name, "price": price}
    response = jsonify(items[item_id])
    response.status_code = 201
    response.headers["Location"] = url_for("shop.read_item", item_id=item_id, _external=True)
    return response


@shop.route("/items/<int:item_id>")
def read_item(item_id):
    if item_id not in items:
        return jsonify(error="Not Found"), 404
    return jsonify(items[item_id])


app = Flask(__name__)
app.register_blueprint(shop)
