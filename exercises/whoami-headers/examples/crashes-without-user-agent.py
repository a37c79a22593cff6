# expect: partial (fails: works-without-user-agent)
# Calls .lower() on request.headers.get("User-Agent"), which is None when the client sends none:
# AttributeError, and a 500 for clients such as scripts that send no User-Agent.
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/whoami")
def whoami():
    ua = request.headers.get("User-Agent")
    response = jsonify(user_agent=ua, mobile="mobile" in ua.lower())
    response.headers["Vary"] = "User-Agent"
    if request.headers.get("X-Request-Id") is not None:
        response.headers["X-Request-Id"] = request.headers["X-Request-Id"]
    return response
