"""Who am I: GET /whoami reports the request's User-Agent and sets two response headers.

- Answer 200 with {"user_agent": <the User-Agent header, or None when there is none>,
                   "mobile": <True if "mobile" is in the User-Agent, in any letter case>}
- Always send the header  Vary: User-Agent
- If the request has an X-Request-Id header, send it back with the same value; otherwise send none.

Run it with `flask --app app run` and try:
    curl -i http://localhost:5000/whoami -H 'User-Agent: Phone Mobile' -H 'X-Request-Id: abc-123'
"""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/whoami")
def whoami():
    # TODO: user_agent = request.headers.get("User-Agent") is None when the header is missing.
    # TODO: mobile = "mobile" in user_agent.lower() (when there is a user_agent).
    # TODO: response = jsonify(user_agent=..., mobile=...); set response.headers["Vary"] and,
    #       when the request has one, response.headers["X-Request-Id"]; return the response.
    return {"error": "not implemented yet"}, 501
