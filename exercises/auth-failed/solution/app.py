"""Reference solution for auth-failed."""

from flask import Flask, jsonify, make_response

app = Flask(__name__)


@app.route("/error")
def custom_error():
    response = make_response(jsonify({"msg": "Auth Failed"}), 401)
    response.headers["WWW-Authenticate"] = 'Basic realm="Login Required"'
    return response
