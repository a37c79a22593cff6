# expect: partial (fails: exact-key-match)
# Lower-cases the key before the lookup, so /lookup/Python answers the definition of python.
from flask import Flask, jsonify, make_response

app = Flask(__name__)

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@app.route("/lookup/<key>")
def lookup(key):
    value = GLOSSARY.get(key.lower())
    if value is not None:
        return jsonify(key=key, value=value)
    response = make_response(jsonify(error="Not Found"), 404)
    response.headers["X-Custom-Header"] = "Value"
    return response
