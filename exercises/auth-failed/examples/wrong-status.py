# expect: partial (fails: status-401)
# 403 Forbidden is the wrong code: the client is not logged in, so it is 401 Unauthorized.
from flask import Flask, jsonify, make_response

app = Flask(__name__)


@app.route("/error")
def custom_error():
    response = make_response(jsonify({"msg": "Auth Failed"}), 403)
    response.headers["WWW-Authenticate"] = 'Basic realm="Login Required"'
    return response
