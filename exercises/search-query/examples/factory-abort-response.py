# expect: full
# A create_app() factory; a bad limit ends the request with abort(Response) carrying the JSON error.
from flask import Flask, abort, jsonify, make_response, request

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


def parse_limit(raw):
    try:
        limit = int(raw)
    except ValueError:
        abort(make_response(jsonify(error="limit must be an integer"), 400))
    if limit < 1:
        abort(make_response(jsonify(error="limit must be at least 1"), 400))
    return limit


def create_app():
    app = Flask(__name__)

    @app.route("/search", methods=["GET"])
    def search():
        query = request.args.get("q") or ""
        matches = [title for title in COURSES if query.lower() in title.lower()]
        if "limit" in request.args:
            matches = matches[: parse_limit(request.args["limit"])]
        return jsonify({"query": query, "count": len(matches), "results": matches})

    return app
