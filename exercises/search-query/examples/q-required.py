# expect: partial (fails: no-query-lists-all)
# request.args["q"] raises when there is no q, so GET /search answers Flask's HTML 400 page
# instead of listing every course.
from flask import Flask, jsonify, request

app = Flask(__name__)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


@app.route("/search")
def search():
    q = request.args["q"]
    results = [title for title in COURSES if q.lower() in title.lower()]
    if "limit" in request.args:
        try:
            limit = int(request.args["limit"])
        except ValueError:
            return jsonify(error="limit must be an integer"), 400
        if limit < 1:
            return jsonify(error="limit must be at least 1"), 400
        results = results[:limit]
    return jsonify(query=q, count=len(results), results=results)
