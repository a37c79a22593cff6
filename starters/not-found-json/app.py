"""Not found as JSON: GET /lookup/<key> answers a definition, or a JSON 404 with a custom header.

- A key of GLOSSARY:  status 200 and the JSON {"key": "<key>", "value": "<definition>"}
- Any other key:      status 404, the JSON {"error": "Not Found"} and the header  X-Custom-Header: Value
Keys match exactly: "python" is known, "Python" is not.

Run it with `flask --app app run` and try:
    curl -i http://localhost:5000/lookup/python
    curl -i http://localhost:5000/lookup/ruby
"""

from flask import Flask, jsonify, make_response

app = Flask(__name__)

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@app.route("/lookup/<key>")
def lookup(key):
    # TODO: if key is in GLOSSARY, return jsonify(key=key, value=GLOSSARY[key]).
    # TODO: otherwise build response = make_response(jsonify(error="Not Found"), 404),
    #       set response.headers["X-Custom-Header"] = "Value" and return the response.
    return {"error": "not implemented yet"}, 501
