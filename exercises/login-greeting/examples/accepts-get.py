# expect: partial (fails: rejects-get)
# Allows GET as well, so GET /login answers 200 instead of 405.
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["GET", "POST"])
def login():
    data = request.get_json(silent=True) or {}
    return f"Hello {data.get('username')} from {request.args.get('source')}"
