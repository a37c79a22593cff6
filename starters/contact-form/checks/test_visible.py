"""Checks you can run yourself: GET /contact is an HTML page with a <form method="post"> holding fields
named name, email and message. The page is read with the standard library's HTML parser, so any valid
layout works."""

from html.parser import HTMLParser

from grader.checks import expect_status, fail

FIELDS = ("name", "email", "message")


class FormFinder(HTMLParser):
    """Collects every <form> (its method and the names of the <input>/<textarea> inside it)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []  # [{"method": str | None, "fields": [name, ...]}]
        self.outside = []  # field names not inside any form
        self._open = []  # indexes into self.forms of the forms not closed yet

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"method": attributes.get("method"), "fields": []})
            self._open.append(len(self.forms) - 1)
        elif tag in ("input", "textarea") and attributes.get("name"):
            target = self.forms[self._open[-1]]["fields"] if self._open else self.outside
            target.append(attributes["name"])

    def handle_endtag(self, tag):
        if tag == "form" and self._open:
            self._open.pop()


def get_forms(client):
    """The forms on GET /contact, and the response."""
    __tracebackhide__ = True
    resp = client.get("/contact")
    # "Answer **200** with an HTML page (`Content-Type: text/html` ...) holding a `<form>`"
    expect_status(resp, 200)
    if resp.mimetype != "text/html":
        got = resp.mimetype or "no content type"
        fail(f"GET /contact: expected an HTML page (Content-Type text/html), got {got}", resp)
    finder = FormFinder()
    finder.feed(resp.get_data(as_text=True))
    finder.close()
    if not finder.forms:
        fail("GET /contact: expected the page to hold a <form> element, found none", resp)
    return finder, resp


def test_form_page(client):
    # "has `method="post"` (any letter case, `post` or `POST`; single or double quotes)"
    finder, resp = get_forms(client)
    if not any((form["method"] or "").strip().lower() == "post" for form in finder.forms):
        methods = ", ".join(
            f'<form method="{form["method"]}">' if form["method"] is not None else "<form> with no method"
            for form in finder.forms
        )
        fail(f'GET /contact: expected a <form method="post">, found {methods} '
             "(without method=\"post\" a browser sends the form as a GET request)", resp)


def test_form_fields(client):
    # "holds three fields named `name`, `email` and `message`: `<input name="...">` or `<textarea name="...">`
    # elements inside the `<form>`...`</form>`"
    finder, resp = get_forms(client)
    for form in finder.forms:
        if all(field in form["fields"] for field in FIELDS):
            return
    best = max(finder.forms, key=lambda form: sum(field in form["fields"] for field in FIELDS))
    missing = [field for field in FIELDS if field not in best["fields"]]
    message = (f"GET /contact: expected the <form> to hold fields named name, email and message "
               f"(<input name=...> or <textarea name=...>); missing: {', '.join(missing)}")
    stray = [field for field in missing if field in finder.outside]
    if stray:
        message += f" ({', '.join(stray)} found outside the <form>...</form>, where the browser does not send it)"
    fail(message, resp)
