# expect: partial (fails: rejects-bad-limit)
# request.args.get("limit", type=int) quietly turns "abc" into None, and nothing checks for 0 or -1,
# so bad limits answer 200 instead of 400.
from flask import Flask, jsonify, request

app = Flask(__name__)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


@app.route("/search")
def search():
    q = request.args.get("q", "")
    results = [title for title in COURSES if q.lower() in title.lower()]
    limit = request.args.get("limit", type=int)
    if limit:
        results = results[:limit]
    return jsonify(query=q, count=len(results), results=results)
