# expect: partial (fails: json-body)
# The body is the text "Auth Failed" (text/html), not the JSON object {"msg": "Auth Failed"}.
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/error")
def custom_error():
    response = make_response("Auth Failed", 401)
    response.headers["WWW-Authenticate"] = 'Basic realm="Login Required"'
    return response
