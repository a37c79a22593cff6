"""Auth failed: GET /error answers 401 with a JSON body and a WWW-Authenticate header.

The response must have:
- status 401
- the JSON body {"msg": "Auth Failed"}
- the header  WWW-Authenticate: Basic realm="Login Required"

Run it with `flask --app app run` and try:  curl -i http://localhost:5000/error
"""

from flask import Flask, jsonify, make_response

app = Flask(__name__)


@app.route("/error")
def custom_error():
    # TODO: build the JSON body with jsonify(...).
    # TODO: make a response with status 401, e.g. make_response(body, 401).
    # TODO: set response.headers["WWW-Authenticate"] and return the response.
    return "TODO: answer 401"
