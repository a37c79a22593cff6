# expect: partial (fails: unknown-key-json, unknown-key-header)
# abort(404) alone gets the status right, but sends Flask's HTML "Not Found" page and no custom header.
from flask import Flask, abort, jsonify

app = Flask(__name__)

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@app.route("/lookup/<key>")
def lookup(key):
    if key not in GLOSSARY:
        abort(404)
    return jsonify(key=key, value=GLOSSARY[key])
