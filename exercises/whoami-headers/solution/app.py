"""Reference solution for whoami-headers."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/whoami")
def whoami():
    user_agent = request.headers.get("User-Agent")  # None when the header is missing
    mobile = user_agent is not None and "mobile" in user_agent.lower()
    response = jsonify(user_agent=user_agent, mobile=mobile)
    response.headers["Vary"] = "User-Agent"  # the answer depends on this request header
    request_id = request.headers.get("X-Request-Id")
    if request_id is not None:
        response.headers["X-Request-Id"] = request_id
    return response
