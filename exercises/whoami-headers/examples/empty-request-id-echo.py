# expect: partial (fails: no-request-id-when-absent)
# Always sets X-Request-Id, to "" when the request had none; the statement asks for no header at all.
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/whoami")
def whoami():
    ua = request.headers.get("User-Agent")
    response = jsonify(user_agent=ua, mobile=ua is not None and "mobile" in ua.lower())
    response.headers["Vary"] = "User-Agent"
    response.headers["X-Request-Id"] = request.headers.get("X-Request-Id", "")
    return response
