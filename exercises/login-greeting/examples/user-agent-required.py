# expect: partial (fails: works-without-user-agent)
# request.headers["User-Agent"] raises a 400 Bad Request when the client sends no User-Agent.
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    user_agent = request.headers["User-Agent"]
    app.logger.info("login from %s", user_agent)
    return f"Hello {request.get_json()['username']} from {request.args.get('source')}"
