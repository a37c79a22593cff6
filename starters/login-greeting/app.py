"""Login greeting: POST /login answers "Hello <username> from <source>".

- The username comes from the JSON body: {"username": "alice"}
- The source comes from the query string: /login?source=web
- Answer status 200 with the body exactly: Hello alice from web
- GET /login must answer 405 (only POST is allowed).

Run it with `flask --app app run` and try:
    curl -X POST 'http://localhost:5000/login?source=web' \
         -H 'Content-Type: application/json' -d '{"username": "alice"}'
"""

from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    # TODO: read the JSON body with request.get_json() and take its "username".
    # TODO: read "source" from the query string with request.args.get(...).
    # TODO: return the text f"Hello {username} from {source}".
    return "TODO: greet the user"
