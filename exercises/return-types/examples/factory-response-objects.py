# expect: full
# A create_app() factory returning Response objects; the teapot view aborts with a Response, an after_request
# hook adds X-Brew, and DELETE answers an empty Response(status=204).
import json

from flask import Flask, Response, abort, request


def create_app():
    app = Flask(__name__)

    @app.after_request
    def brew(response):
        if request.path == "/teapot":
            response.headers["X-Brew"] = "tea"
        return response

    @app.route("/ping")
    def ping():
        return Response("pong")  # Response's default mimetype is text/html

    @app.route("/status")
    def status():
        return Response(json.dumps({"ok": True, "version": 1}), mimetype="application/json")

    @app.route("/teapot")
    def teapot():
        abort(Response("I'm a teapot", status=418))

    @app.route("/session", methods=["DELETE"])
    def delete_session():
        return Response(status=204)

    return app
