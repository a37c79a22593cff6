"""Reference solution for not-found-json."""

from flask import Flask, jsonify, make_response

app = Flask(__name__)

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@app.route("/lookup/<key>")
def lookup(key):
    if key in GLOSSARY:
        return jsonify({"key": key, "value": GLOSSARY[key]})
    response = make_response(jsonify({"error": "Not Found"}), 404)
    response.headers["X-Custom-Header"] = "Value"
    return response
