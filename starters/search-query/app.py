"""Search query: GET /search?q=<text>&limit=<n> answers the matching course titles as JSON.

- q (optional): titles containing q in any letter case, in the order of COURSES; no or empty q: all titles.
- limit (optional): keep only the first `limit` results; a limit that is not a whole number, or is
  below 1, answers 400 with the JSON {"error": "<a message>"}.
- Answer 200 with {"query": <q as sent, or "">, "count": <len(results)>, "results": [...]}.

Run it with `flask --app app run` and try:
    curl 'http://localhost:5000/search?q=flask&limit=2'
"""

from flask import Flask, jsonify, request

app = Flask(__name__)

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]


@app.route("/search")
def search():
    # TODO: q = request.args.get("q", "")
    # TODO: results = the titles in COURSES whose lower-case form contains q.lower()
    # TODO: if "limit" is in request.args, turn it into an int (int() raises ValueError on "abc");
    #       answer {"error": "..."} with status 400 if that fails or it is below 1; else cut results.
    # TODO: return jsonify(query=q, count=len(results), results=results)
    return jsonify(query="", count=0, results=[])
