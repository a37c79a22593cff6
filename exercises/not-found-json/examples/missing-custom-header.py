# expect: partial (fails: unknown-key-header)
# Right status and body for an unknown key, but the X-Custom-Header header is never set.
from flask import Flask, jsonify

app = Flask(__name__)

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@app.route("/lookup/<key>")
def lookup(key):
    if key in GLOSSARY:
        return jsonify(key=key, value=GLOSSARY[key])
    return jsonify(error="Not Found"), 404
