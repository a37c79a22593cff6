# expect: partial (fails: echoes-query)
# Lower-cases q once and echoes that: ?q=Flask answers "query": "flask", though `query` is q exactly as sent.
from flask import Flask, jsonify, request

app = Flask(__name__)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


@app.route("/search")
def search():
    q = request.args.get("q", "").lower()
    results = [title for title in COURSES if q in title.lower()]
    if "limit" in request.args:
        try:
            limit = int(request.args["limit"])
        except ValueError:
            return jsonify(error="limit must be a whole number"), 400
        if limit < 1:
            return jsonify(error="limit must be 1 or more"), 400
        results = results[:limit]
    return jsonify(query=q, count=len(results), results=results)
