# expect: partial (fails: mobile-any-case)
# Looks for "Mobile" with a capital M only: "MOBILE-CLIENT/2.0" or "okhttp (mobile)" count as desktop.
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/whoami")
def whoami():
    ua = request.headers.get("User-Agent")
    response = jsonify(user_agent=ua, mobile=ua is not None and "Mobile" in ua)
    response.headers["Vary"] = "User-Agent"
    if "X-Request-Id" in request.headers:
        response.headers["X-Request-Id"] = request.headers["X-Request-Id"]
    return response
