# expect: full
# A Blueprint whose views all build their response with make_response (and jsonify for the JSON).
from flask import Blueprint, Flask, jsonify, make_response

api = Blueprint("api", __name__)


@api.route("/ping")
def ping():
    return make_response("pong")


@api.route("/status")
def status():
    return make_response(jsonify(ok=True, version=1))


@api.route("/teapot")
def teapot():
    response = make_response("I'm a teapot", 418)
    response.headers["X-Brew"] = "tea"
    return response


@api.route("/session", methods=["DELETE"])
def delete_session():
    return make_response("", 204)


app = Flask(__name__)
app.register_blueprint(api)
