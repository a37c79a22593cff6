# expect: error
# A missing colon after the def line: the module cannot even be imported.
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login()
    return f"Hello {request.get_json()['username']} from {request.args.get('source')}"
