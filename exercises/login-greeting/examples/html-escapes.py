# expect: partial (fails: greets-any-user-and-source)
# Escapes the values as an HTML template would, so O'Brien comes back as O&#39;Brien; the statement asks for
# the body exactly "Hello <username> from <source>".
from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


@app.post("/login")
def login():
    username = request.get_json()["username"]
    source = request.args.get("source")
    return f"Hello {escape(username)} from {escape(source)}"
