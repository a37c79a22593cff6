"""Reference solution for login-greeting."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/login")
def login():
    data = request.get_json()
    username = data["username"]
    source = request.args.get("source")
    return f"Hello {username} from {source}"
