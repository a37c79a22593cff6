"""Small, typed mutations of a reference solution, to show that each hidden check can fail.

A check that passes on the reference and on every slightly-wrong copy of it may be testing nothing. Each
operator below finds one kind of site in the reference's AST (a status code, a response header, a cookie
attribute, a JSON key, where a value is read from...) and makes one plausible student mistake there. A mutant
is the reference with exactly one such change, unparsed back to source; ``grader validate`` grades them all.

Sites are found by walking the tree in :func:`ast.walk` order, which is deterministic, so the n-th node of a
deep copy is the n-th node of the original: a mutation is (node index, change), applied to a fresh copy.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# A change edits the copied node in place (or its parent, to drop it); it never looks at other nodes.
Change = Callable[[ast.AST, ast.AST], None]

# One plausible wrong code per right one: the mistakes students make (201 vs 200, 401 vs 403...).
_OTHER_STATUS = {200: 201, 201: 200, 202: 200, 204: 200, 301: 302, 302: 301, 303: 302, 307: 302, 308: 301,
                 400: 422, 401: 403, 403: 401, 404: 400, 405: 404, 409: 400, 410: 404, 415: 400, 422: 400,
                 429: 503, 500: 400, 501: 500, 503: 500}
_COOKIE_ATTRIBUTES = ("httponly", "samesite", "max_age", "path", "secure", "expires", "domain")
_SOURCE_SWAPS = {"args": "form", "form": "args", "values": "args", "cookies": "args", "headers": "args"}
_FLIPPED_COMPARISONS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot,
    ast.IsNot: ast.Is, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
}
_CASE_CALLS = ("lower", "upper", "strip", "casefold", "title")
_VERB_DECORATORS = ("get", "post", "put", "delete", "patch")
_HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
MAX_MUTANTS = 200


@dataclass(frozen=True)
class Mutant:
    name: str  # "status@L12: 401 -> 403", shown in the validate summary
    source: str


@dataclass(frozen=True)
class _Site:
    index: int  # position of the node in ast.walk order
    operator: str
    detail: str
    change: Change
    position: tuple[int, int]  # (line, column), to list mutants in source order


def _is_decorator(node: ast.AST, parent: ast.AST) -> bool:
    return isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and node in parent.decorator_list


def _status_code(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value <= 599:
        return node.value
    return None


def _other_status(code: int) -> int:
    return _OTHER_STATUS.get(code, 200 if code != 200 else 201)


def _set_value(value: int | str) -> Change:
    def change(node: ast.AST, parent: ast.AST) -> None:
        assert isinstance(node, ast.Constant)
        node.value = value
    return change


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _status_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """Integer literals used as a status: (body, 401) returns, make_response/abort/Response args, status=."""
    code = _status_code(node)
    if code is None:
        return
    is_status = (
        (isinstance(parent, ast.Tuple) and len(parent.elts) > 1 and parent.elts[1] is node)
        or (isinstance(parent, ast.Call) and _call_name(parent) in ("make_response", "abort", "Response", "redirect")
            and any(a is node and (i == 1 or _call_name(parent) == "abort") for i, a in enumerate(parent.args)))
        or (isinstance(parent, ast.keyword) and parent.arg in ("status", "status_code", "code"))
        or (isinstance(parent, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "status_code"
                                                   for t in parent.targets))
    )
    if is_status:
        yield f"status {code} -> {_other_status(code)}", _set_value(_other_status(code))


def _drop_statement(node: ast.AST, parent: ast.AST) -> None:
    for field in ("body", "orelse", "finalbody"):
        stmts = getattr(parent, field, None)
        if isinstance(stmts, list) and node in stmts:
            stmts[stmts.index(node)] = ast.Pass()
            return


def _header_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """``resp.headers[...] = ...`` and ``resp.headers.add/set(...)`` statements are dropped."""
    if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript) and isinstance(t.value, ast.Attribute) and t.value.attr == "headers"
            for t in node.targets):
        yield "response header assignment dropped", _drop_statement
    if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr in ("add", "set", "add_header")
            and isinstance(node.value.func.value, ast.Attribute) and node.value.func.value.attr == "headers"):
        yield "response header dropped", _drop_statement


def _drop_dict_entry(position: int) -> Change:
    def change(node: ast.AST, parent: ast.AST) -> None:
        assert isinstance(node, ast.Dict)
        del node.keys[position]
        del node.values[position]
    return change


def _headers_dict_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """Entries of a headers dict: the third item of a returned tuple, or ``headers=``."""
    is_headers = (isinstance(parent, ast.Tuple) and len(parent.elts) > 2 and parent.elts[2] is node) or (
        isinstance(parent, ast.keyword) and parent.arg == "headers")
    if isinstance(node, ast.Dict) and is_headers:
        for i, key in enumerate(node.keys):
            label = key.value if isinstance(key, ast.Constant) else "?"
            yield f"header {label!s} dropped", _drop_dict_entry(i)


def _drop_keyword(name: str) -> Change:
    def change(node: ast.AST, parent: ast.AST) -> None:
        assert isinstance(node, ast.Call)
        node.keywords = [k for k in node.keywords if k.arg != name]
    return change


def _cookie_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """Each attribute keyword of ``set_cookie`` dropped, and the whole ``set_cookie`` call dropped."""
    if isinstance(node, ast.Call) and _call_name(node) == "set_cookie":
        for kw in node.keywords:
            if kw.arg in _COOKIE_ATTRIBUTES:
                yield f"set_cookie {kw.arg}= dropped", _drop_keyword(kw.arg)
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _call_name(node.value) == "set_cookie":
        yield "set_cookie call dropped", _drop_statement


def _rename_key(node: ast.AST, parent: ast.AST) -> None:
    assert isinstance(node, ast.Constant) and isinstance(node.value, str)
    node.value = node.value + "_"


def _rename_keyword(name: str) -> Change:
    def change(node: ast.AST, parent: ast.AST) -> None:
        assert isinstance(node, ast.Call)
        for kw in node.keywords:
            if kw.arg == name:
                kw.arg = name + "_"
    return change


def _key_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """String keys: of a dict literal, of ``jsonify(key=...)``, and read with ``x["key"]`` or ``x.get("key")``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        in_dict = isinstance(parent, ast.Dict) and node in parent.keys
        in_subscript = isinstance(parent, ast.Subscript) and parent.slice is node
        in_get = (isinstance(parent, ast.Call) and _call_name(parent) == "get" and parent.args[:1] == [node]
                  and not _is_decorator(parent, grand))  # @app.get("/x") is a route, not a key
        if in_dict or in_subscript or in_get:
            yield f"key {node.value!r} renamed", _rename_key
    if isinstance(node, ast.Call) and _call_name(node) in ("jsonify", "dict"):
        for kw in node.keywords:
            if kw.arg:
                yield f"jsonify key {kw.arg!r} renamed", _rename_keyword(kw.arg)


def _set_attr(attr: str) -> Change:
    def change(node: ast.AST, parent: ast.AST) -> None:
        assert isinstance(node, ast.Attribute)
        node.attr = attr
    return change


def _source_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """Where a value is read from: ``request.args`` <-> ``request.form``, ``request.values`` -> ``args``..."""
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "request"
            and node.attr in _SOURCE_SWAPS):
        yield f"request.{node.attr} -> request.{_SOURCE_SWAPS[node.attr]}", _set_attr(_SOURCE_SWAPS[node.attr])


def _get_json_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """``get_json(silent=True)`` -> ``get_json()`` (non-JSON bodies then raise 415/400 instead of None)."""
    if isinstance(node, ast.Call) and _call_name(node) == "get_json":
        for kw in node.keywords:
            if kw.arg in ("silent", "force") and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                yield f"get_json({kw.arg}=True) -> get_json()", _drop_keyword(kw.arg)


def _flip(position: int) -> Change:
    def change(node: ast.AST, parent: ast.AST) -> None:
        assert isinstance(node, ast.Compare)
        node.ops[position] = _FLIPPED_COMPARISONS[type(node.ops[position])]()
    return change


def _compare_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _FLIPPED_COMPARISONS:
                flipped = _FLIPPED_COMPARISONS[type(op)]
                yield f"comparison {type(op).__name__} -> {flipped.__name__}", _flip(i)


def _unwrap_call(node: ast.AST, parent: ast.AST) -> None:
    """Replace ``x.lower()`` by ``x`` wherever the parent holds it."""
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    inner = node.func.value
    for field, value in ast.iter_fields(parent):
        if value is node:
            setattr(parent, field, inner)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if item is node:
                    value[i] = inner


def _case_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _CASE_CALLS
            and not node.args and not node.keywords):
        yield f".{node.func.attr}() removed", _unwrap_call


def _set_methods(methods: list[str]) -> Change:
    def change(node: ast.AST, parent: ast.AST) -> None:
        assert isinstance(node, ast.Call)
        node.keywords = [k for k in node.keywords if k.arg != "methods"]
        node.keywords.append(ast.keyword(arg="methods", value=ast.List(
            elts=[ast.Constant(m) for m in methods], ctx=ast.Load())))
        if isinstance(node.func, ast.Attribute):
            node.func.attr = "route"
    return change


def _method_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """Route methods: ``@app.post`` also accepting GET, a ``methods=`` list with one more or one less verb."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or not _is_decorator(node, parent):
        return
    if node.func.attr in _VERB_DECORATORS and len(node.args) == 1:
        verb = node.func.attr.upper()
        extra = "POST" if verb == "GET" else "GET"
        yield f"@{node.func.attr} also accepts {extra}", _set_methods([verb, extra])
    if node.func.attr == "route":
        for kw in node.keywords:
            if kw.arg == "methods" and isinstance(kw.value, (ast.List, ast.Tuple)):
                methods = [e.value for e in kw.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                missing = next((m for m in _HTTP_METHODS if m not in {x.upper() for x in methods}), None)
                if missing:
                    yield f"methods + {missing}", _set_methods([*methods, missing])
                if len(methods) > 1:
                    for m in methods:
                        yield f"methods - {m}", _set_methods([x for x in methods if x != m])


def _text_sites(node: ast.AST, parent: ast.AST, grand: ast.AST) -> Iterator[tuple[str, Change]]:
    """The literal text of an f-string (a greeting, a message) changed in case: exact-body checks see it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and isinstance(parent, ast.JoinedStr):
        changed = node.value.swapcase()
        if changed != node.value:
            yield f"f-string text {node.value!r} -> {changed!r}", _set_value(changed)


Operator = Callable[[ast.AST, ast.AST, ast.AST], Iterator[tuple[str, Change]]]
OPERATORS: dict[str, Operator] = {
    "status": _status_sites, "header": _header_sites, "headers-dict": _headers_dict_sites,
    "cookie": _cookie_sites, "key": _key_sites, "source": _source_sites, "get-json": _get_json_sites,
    "compare": _compare_sites, "case": _case_sites, "methods": _method_sites, "text": _text_sites,
}


def _walk_with_parents(tree: ast.AST) -> list[tuple[ast.AST, ast.AST, ast.AST]]:
    """Every node with its parent and grandparent, in ast.walk order (deterministic); the root is its own."""
    parents: dict[int, ast.AST] = {id(tree): tree}
    out: list[tuple[ast.AST, ast.AST, ast.AST]] = []
    for node in ast.walk(tree):
        parent = parents[id(node)]
        out.append((node, parent, parents[id(parent)]))
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return out


def _sites(tree: ast.AST) -> list[_Site]:
    sites = []
    for index, (node, parent, grand) in enumerate(_walk_with_parents(tree)):
        for operator, find in OPERATORS.items():
            for detail, change in find(node, parent, grand):
                line = getattr(node, "lineno", None)
                where = f"@L{line}" if line else ""
                sites.append(_Site(index, operator, f"{operator}{where}: {detail}", change,
                                   (line or 0, getattr(node, "col_offset", 0))))
    return sorted(sites, key=lambda s: s.position)  # stable: in source order, then walk order


def mutants(source: str, *, limit: int = MAX_MUTANTS) -> list[Mutant]:
    """Every single-change mutant of ``source`` that still compiles and differs from it, deduplicated."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    seen = {original}
    out: list[Mutant] = []
    for site in _sites(tree):
        copied = copy.deepcopy(tree)
        node, parent, _ = _walk_with_parents(copied)[site.index]
        site.change(node, parent)
        ast.fix_missing_locations(copied)
        try:
            text = ast.unparse(copied)
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue  # the change made something unparsable (rare): not a plausible mistake, skip it
        if text in seen:
            continue
        seen.add(text)
        out.append(Mutant(site.detail, text + "\n"))
        if len(out) >= limit:
            break
    return out
