# expect: full
# A create_app() factory: the view calls abort(404) and an @errorhandler(404) answers with a
# (dict, status, headers) tuple.
from flask import Flask, abort

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


def create_app():
    app = Flask(__name__)

    @app.route("/lookup/<key>")
    def lookup(key):
        if key not in GLOSSARY:
            abort(404)
        return {"key": key, "value": GLOSSARY[key]}

    @app.errorhandler(404)
    def not_found(error):
        return {"error": "Not Found"}, 404, {"X-Custom-Header": "Value"}

    return app
