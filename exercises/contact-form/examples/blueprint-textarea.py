# expect: full
# A Blueprint with separate GET and POST views; <form method='POST'> in single quotes and upper case;
# the 400 as a (dict, status) tuple.
from flask import Blueprint, Flask, request

contact = Blueprint("contact", __name__)

PAGE = """<!DOCTYPE html>
<html><head><title>Contact</title></head>
<body>
<FORM METHOD='POST' ACTION='/contact'>
  <label for="n">Your name</label><INPUT id="n" name='name' type='text'>
  <label for="e">Your email</label><input id="e" name="email" type="email"/>
  <textarea name="message" rows="5">Write here...</textarea>
  <input type="submit" value="Send">
</FORM>
</body></html>
"""


@contact.get("/contact")
def show_form():
    return PAGE


@contact.post("/contact")
def send():
    values = {field: request.form.get(field, "") for field in ("name", "email", "message")}
    missing = [field for field, value in values.items() if value == ""]
    if missing:
        return {"error": "missing fields", "missing": missing}, 400
    return "Thanks, {name}! We will reply to {email}.".format(**values)


app = Flask(__name__)
app.register_blueprint(contact)
