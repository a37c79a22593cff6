# expect: partial (fails: www-authenticate-header)
# Right status and body, but the WWW-Authenticate header is never set.
from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/error")
def custom_error():
    return jsonify({"msg": "Auth Failed"}), 401
