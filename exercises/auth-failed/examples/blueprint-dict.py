# expect: full
# A Blueprint whose view returns a dict (Flask turns it into JSON) with status and headers.
from flask import Blueprint, Flask

errors = Blueprint("errors", __name__)


@errors.get("/error")
def custom_error():
    return {"msg": "Auth Failed"}, 401, [("WWW-Authenticate", 'Basic realm="Login Required"')]


app = Flask(__name__)
app.register_blueprint(errors)
