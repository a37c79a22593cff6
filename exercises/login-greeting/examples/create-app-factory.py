# expect: full
# An application factory (found as create_app(), like `flask --app`); a (body, status, headers) tuple.
from flask import Flask, request


def create_app():
    app = Flask(__name__)

    @app.route("/login", methods=["POST"])
    def login():
        payload = request.get_json(silent=True) or {}
        greeting = "Hello {} from {}".format(payload.get("username"), request.args.get("source"))
        return greeting, 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app
