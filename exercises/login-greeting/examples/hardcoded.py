# expect: partial (fails: greets-any-user-and-source)
# Copies the example answer instead of reading the request.
from flask import Flask

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    return "Hello alice from web"
