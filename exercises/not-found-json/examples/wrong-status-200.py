# expect: partial (fails: unknown-key-404)
# The error body and header are right, but without a status the unknown key answers 200 OK.
from flask import Flask, jsonify

app = Flask(__name__)

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@app.route("/lookup/<key>")
def lookup(key):
    if key in GLOSSARY:
        return jsonify(key=key, value=GLOSSARY[key])
    response = jsonify(error="Not Found")
    response.headers["X-Custom-Header"] = "Value"
    return response
