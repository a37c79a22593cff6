# expect: partial (fails: count-is-number-of-results)
# Counts the matches before cutting them to `limit`, so q=Flask&limit=2 says count 3 for 2 results.
from flask import Flask, jsonify, request

app = Flask(__name__)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


@app.route("/search")
def search():
    q = request.args.get("q", "")
    results = [title for title in COURSES if q.lower() in title.lower()]
    count = len(results)
    if "limit" in request.args:
        try:
            limit = int(request.args["limit"])
        except ValueError:
            return jsonify(error="limit must be an integer"), 400
        if limit < 1:
            return jsonify(error="limit must be at least 1"), 400
        results = results[:limit]
    return jsonify(query=q, count=count, results=results)
