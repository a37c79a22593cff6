# expect: full
# The route accepts GET too, but the view itself refuses anything but POST with 405.
from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method != "POST":
        abort(405)
    return f"Hello {request.get_json()['username']} from {request.args.get('source')}"
