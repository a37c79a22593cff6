# expect: partial (fails: www-authenticate-header)
# The realm must be in double quotes: Basic realm="Login Required".
from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/error")
def custom_error():
    return jsonify(msg="Auth Failed"), 401, {"WWW-Authenticate": "Basic realm='Login Required'"}
