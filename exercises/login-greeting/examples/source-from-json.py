# expect: partial (fails: greets-user, greets-any-user-and-source)
# Looks for the source in the JSON body instead of the query string: "Hello alice from None".
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    data = request.get_json()
    return f"Hello {data.get('username')} from {data.get('source')}"
