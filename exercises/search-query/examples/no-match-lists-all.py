# expect: partial (fails: no-match-empty-list)
# Falls back to every course when nothing matches (`matches or COURSES`), so ?q=django lists them all
# instead of answering "results": [].
from flask import Flask, jsonify, request

app = Flask(__name__)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


@app.route("/search")
def search():
    q = request.args.get("q", "")
    results = [title for title in COURSES if q.lower() in title.lower()] or COURSES
    if "limit" in request.args:
        try:
            limit = int(request.args["limit"])
        except ValueError:
            limit = 0
        if limit < 1:
            return jsonify(error="limit must be a whole number, 1 or more"), 400
        results = results[:limit]
    return jsonify(query=q, count=len(results), results=results)
