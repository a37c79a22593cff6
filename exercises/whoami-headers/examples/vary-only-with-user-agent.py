# expect: partial (fails: vary-user-agent)
# Sets Vary: User-Agent only when the request has a User-Agent; the statement's own example without one
# shows the header too (the answer depends on whether there is one).
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/whoami")
def whoami():
    user_agent = request.headers.get("User-Agent")
    response = jsonify(user_agent=user_agent, mobile=user_agent is not None and "mobile" in user_agent.lower())
    if user_agent is not None:
        response.headers["Vary"] = "User-Agent"
    if "X-Request-Id" in request.headers:
        response.headers["X-Request-Id"] = request.headers["X-Request-Id"]
    return response
