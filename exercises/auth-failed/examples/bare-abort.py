# expect: partial (fails: json-body, www-authenticate-header)
# abort(401) gets the status right, but sends Flask's HTML error page and no WWW-Authenticate header.
from flask import Flask, abort

app = Flask(__name__)


@app.route("/error")
def custom_error():
    abort(401)
