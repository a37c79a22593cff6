# expect: full
# A Blueprint; jsonify for the definition and make_response for the 404 with its header.
from flask import Blueprint, Flask, jsonify, make_response

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}

glossary = Blueprint("glossary", __name__)


@glossary.get("/lookup/<key>")
def lookup(key):
    value = GLOSSARY.get(key)
    if value is None:
        response = make_response(jsonify(error="Not Found"), 404)
        response.headers["X-Custom-Header"] = "Value"
        return response
    return jsonify(key=key, value=value)


app = Flask(__name__)
app.register_blueprint(glossary)
