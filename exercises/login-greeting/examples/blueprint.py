# expect: full
# A Blueprint registered on the app; make_response with an explicit status.
from flask import Blueprint, Flask, make_response, request

auth = Blueprint("auth", __name__)


@auth.route("/login", methods=["POST"])
def login():
    username = request.json["username"]
    source = request.args["source"]
    return make_response(f"Hello {username} from {source}", 200)


app = Flask(__name__)
app.register_blueprint(auth)
