# expect: partial (fails: mobile-is-boolean)
# Answers "mobile" as the text "true" or "false" instead of a JSON boolean.
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/whoami")
def whoami():
    ua = request.headers.get("User-Agent")
    is_mobile = ua is not None and "mobile" in ua.lower()
    response = jsonify(user_agent=ua, mobile="true" if is_mobile else "false")
    response.headers["Vary"] = "User-Agent"
    if "X-Request-Id" in request.headers:
        response.headers["X-Request-Id"] = request.headers["X-Request-Id"]
    return response
