# expect: full
# request.args.get(..., type=int) with a sentinel tells a missing limit from a bad one; a custom
# exception and @errorhandler turn bad input into the JSON 400.
from flask import Flask, request

app = Flask(__name__)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


class BadParameter(Exception):
    pass


@app.errorhandler(BadParameter)
def bad_parameter(error):
    return {"error": str(error)}, 400


@app.get("/search")
def search():
    q = request.args.get("q", default="")
    results = [title for title in COURSES if q.lower() in title.lower()]
    if "limit" in request.args:
        limit = request.args.get("limit", type=int)
        if limit is None or limit < 1:
            raise BadParameter("limit must be a whole number, 1 or more")
        results = results[:limit]
    return {"query": q, "count": len(results), "results": results}
