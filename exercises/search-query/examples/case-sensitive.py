# expect: partial (fails: ignores-letter-case)
# Compares without lower-casing, so q=flask finds nothing: "flask" is not in "Flask Templates".
from flask import Flask, jsonify, request

app = Flask(__name__)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


@app.route("/search")
def search():
    q = request.args.get("q", "")
    results = [title for title in COURSES if q in title]
    if "limit" in request.args:
        try:
            limit = int(request.args["limit"])
        except ValueError:
            return jsonify(error="limit must be an integer"), 400
        if limit < 1:
            return jsonify(error="limit must be at least 1"), 400
        results = results[:limit]
    return jsonify(query=q, count=len(results), results=results)
