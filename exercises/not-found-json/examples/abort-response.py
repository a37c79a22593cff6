# expect: full
# abort() with a ready-made Response: the JSON 404 and its header, built with jsonify.
from flask import Flask, abort, jsonify

app = Flask(__name__)

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


def not_found():
    response = jsonify({"error": "Not Found"})
    response.status_code = 404
    response.headers["X-Custom-Header"] = "Value"
    abort(response)


@app.route("/lookup/<key>")
def lookup(key):
    if key not in GLOSSARY:
        not_found()
    return jsonify({"key": key, "value": GLOSSARY[key]})
