"""Check and render a message template in Jinja2's sandbox.

A template is three parts: a one-line subject, a plain-text body and an
optional HTML body. `validate` says what is wrong with each part in words
(which part, which line, what); `render` validates, then renders all three
with the message's values, or raises `TemplateError` with the reason (the
caller then queues nothing).

What a template may do is a short list, checked on its syntax tree before it
is saved or rendered:

* print the template's declared variables (`{{ recipient_name }}`), the
  fields of a list's items inside a loop over that list (`{{ item.title }}`)
  and the loop's counters (`{{ loop.index }}`); nothing else: an unknown name
  (`cycler`, `range`, `self`, a misspelling) is refused, and so is any name or
  attribute beginning with an underscore (`''.__class__`);
* `{% if %}`, one level of `{% for %}` over a declared list, `and`, `or`,
  `not`, comparisons, `~`, `+` and `-`, and a few filters (`FILTERS`) and
  tests (`TESTS`);
* nothing that calls a function or method, multiplies, sets a variable,
  defines a macro or reaches another template;
* in the HTML body, no value inside `<script>`, `<style>`, a `style`, a
  `srcdoc` or an `on...` attribute, and no value but a link variable as a
  link's address (escaping does not stop `javascript:`), however the
  attribute is spelt (after a `/` or a quoted value with no space, or with a
  namespace: `xlink:href`); a link variable's value must be an http(s) address,
  and the whole of the attribute's value (`src="https://elsewhere/?{{ link }}"`
  would hand a one-time link to another server);
  nothing a mail client would fetch from elsewhere when the message is opened
  (`src`, `srcset`, `background`, `<link>`, `<meta>`, CSS `url(`, ...: a
  tracking image tells its server who opened a message, where and when);
  and inside a tag, no value but in a quoted attribute value (escaping leaves
  a space and `=`, so `<p title={{ title }}>` would let a title add attributes).

Then it is rendered by a `SandboxedEnvironment` with no globals, only those
filters and tests, and `StrictUndefined` (a missing value is an error, not an
empty string): autoescaping ON for the HTML body, OFF for the subject and the
plain-text body (plain text is never HTML). Values are data, never template
source: a title holding `{{ 7*7 }}` is printed as it is. Output is bounded
(`MAX_SUBJECT_CHARS`, `MAX_BODY_CHARS`) and so is the time a render may take
(`MAX_RENDER_SECONDS`); a loop goes only through a list the caller gave, so
its length is the data's. The rendered subject is one line: line breaks and
control characters that a value brings are turned into spaces, so no value
can add a mail header.

A template's check and its compiled form are kept (`functools.lru_cache`,
keyed by the spec and the wording), so queueing many messages from one
template checks and compiles it once.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from messages.spec import LINK, LIST, NUMBER, TemplateSpec, Variable

SUBJECT, TEXT, HTML = "subject", "text", "html"
PART_WORDS = {SUBJECT: "Subject", TEXT: "Plain-text body", HTML: "HTML body"}

MAX_SUBJECT_SOURCE = 500
MAX_BODY_SOURCE = 20_000
MAX_SUBJECT_CHARS = 998  # the longest line RFC 5322 allows
MAX_BODY_CHARS = 200_000
MAX_RENDER_SECONDS = 2.0
MAX_LIST_ITEMS = 5_000

FILTERS = ("upper", "lower", "title", "capitalize", "trim", "length", "default")
TESTS = ("defined", "undefined", "none", "number", "string", "odd", "even", "eq", "ne")
LOOP_FIELDS = ("index", "index0", "revindex", "revindex0", "first", "last", "length")

_REFUSED_WORDS: dict[type, str] = {
    nodes.Call: "calling a function or method is not allowed",
    nodes.Getitem: "square brackets are not allowed: read a list item's field with a dot inside a loop",
    nodes.Assign: "{% set %} is not allowed: use the variables as they are",
    nodes.AssignBlock: "{% set %} is not allowed: use the variables as they are",
    nodes.Macro: "{% macro %} is not allowed",
    nodes.CallBlock: "{% call %} is not allowed",
    nodes.FilterBlock: "{% filter %} blocks are not allowed: use a filter on a variable",
    nodes.With: "{% with %} is not allowed",
    nodes.Block: "{% block %} is not allowed",
    nodes.Extends: "{% extends %} is not allowed: a message template stands alone",
    nodes.Include: "{% include %} is not allowed: a message template stands alone",
    nodes.Import: "{% import %} is not allowed: a message template stands alone",
    nodes.FromImport: "{% from ... import %} is not allowed: a message template stands alone",
    nodes.Mul: "only + and - are allowed in arithmetic",
    nodes.Pow: "only + and - are allowed in arithmetic",
    nodes.Div: "only + and - are allowed in arithmetic",
    nodes.FloorDiv: "only + and - are allowed in arithmetic",
    nodes.Mod: "only + and - are allowed in arithmetic",
    nodes.Dict: "dictionaries are not allowed",
    nodes.Slice: "slices are not allowed",
    nodes.Scope: "{% autoescape %} is not allowed: the HTML body is always escaped",
    nodes.ScopedEvalContextModifier: "{% autoescape %} is not allowed: the HTML body is always escaped",
    nodes.EvalContextModifier: "{% autoescape %} is not allowed: the HTML body is always escaped",
}
# Where a value in the HTML body would be code, or a link's address (the text before it ends so).
_CODE_ELEMENT = re.compile(r"<(script|style)\b[^>]*>(?:(?!</\1).)*$", re.IGNORECASE | re.DOTALL)
# An attribute's name starts after white space, a "/" or a quoted value's end
# (`<img src="x"/onerror=...>`, `<a class="x"href=...>`), and may carry a
# namespace (`xlink:href`); `srcdoc` is read as HTML.
_CODE_ATTRIBUTE = re.compile(r"""[\s/"'](?:on\w+|style|srcdoc)\s*=\s*(?:"[^"]*|'[^']*|[^\s"'>]*)$""", re.IGNORECASE)
_URL_NAMES = (
    r"""[\s/"':](?:href|src|action|formaction|background|poster|cite|srcset|data|ping|content|manifest|codebase"""
    r"""|longdesc|lowsrc|dynsrc|archive|classid|usemap|profile|icon)\s*=\s*"""
)
_URL_ATTRIBUTE = re.compile(_URL_NAMES + r"""(?:"[^"]*|'[^']*|[^\s"'>]*)$""", re.IGNORECASE)
# The same, with nothing of the value before the link: the link is the whole address.
_URL_ATTRIBUTE_START = re.compile(_URL_NAMES + r"""["']?$""", re.IGNORECASE)
# What a mail client fetches by itself when the message is opened: a tracking image tells its server
# who opened the message, from where and when (an anonymous contributor's acknowledgement among them).
_FETCH_ATTRIBUTE = re.compile(
    r"""[\s/"':](?:src|srcset|background|poster|data|codebase|archive|classid|lowsrc|dynsrc|ping)\s*=""", re.IGNORECASE
)
_FETCH = re.compile(r"""<\s*(?:link|meta|svg|image)\b|url\(|@import|image-set\(""", re.IGNORECASE)
# A tag, from "<" and a letter to its ">" (or the end), its quoted values read whole (a ">" or "<" in them
# does not end or start a tag).
_TAG = re.compile(r"""<[A-Za-z](?:"[^"]*"|'[^']*'|[^'">])*>?""")


class _Markup:
    """Where the HTML read so far ends, as a browser reads it: in text (just after a "<" or "</"
    or not), inside a tag, or inside a quoted attribute value (`state` is then its quote)."""

    def __init__(self) -> None:
        self.state = "text"
        self.after_lt = False  # in text, right after "<" or "</": a tag's name would come next

    def read(self, text: str) -> None:
        for ch in text:
            if self.state == "text":
                if self.after_lt and ch.isascii() and ch.isalpha():
                    self.state = "tag"
                self.after_lt = ch == "<" or (self.after_lt and ch == "/")
            elif self.state == "tag":
                if ch in "\"'":
                    self.state = ch
                elif ch == ">":
                    self.state = "text"
            elif ch == self.state:
                self.state = "tag"

    @property
    def in_tag_unquoted(self) -> bool:
        """Inside a tag but not in a quoted value, or where a tag's name goes: escaping leaves a
        space and "=", so a value there could add attributes (or a tag) of its own."""
        return self.state == "tag" or (self.state == "text" and self.after_lt)


# Nodes whose children are checked like any others.
_PLAIN = (
    nodes.Template,
    nodes.TemplateData,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Add,
    nodes.Sub,
    nodes.Tuple,
    nodes.List,
    nodes.Keyword,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a template: which part, which line (None: the whole part), what."""

    part: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = PART_WORDS[self.part] + (f", line {self.line}" if self.line else "")
        return f"{where}: {self.message}"


class TemplateError(ValueError):
    """A template that cannot be saved or rendered, with the reason(s) in words."""

    def __init__(self, reason: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(reason)
        self.problems = problems


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def _environment(*, autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.clear()  # no range, cycler, joiner, lipsum, namespace, dict
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {name: env.tests[name] for name in TESTS}
    return env


_PLAIN_ENV = _environment(autoescape=False)
_HTML_ENV = _environment(autoescape=True)


@dataclass
class _Scope:
    """What a name means where it is read: a declared variable, or a loop's item and counters."""

    variables: Mapping[str, Variable]
    item: tuple[str, Variable] | None = None  # (loop target, the list variable)


class _Checker:
    """Walks a template's syntax tree and notes every construct outside the allowed list."""

    def __init__(self, spec: TemplateSpec, part: str) -> None:
        self.part = part
        self.variables = {v.name: v for v in spec.variables}
        self.problems: list[Problem] = []
        self.html_so_far: list[str] = []  # the HTML body's text up to here, a value standing as "x"
        self.markup = _Markup()  # and where that text ends: in text, a tag or a quoted value

    def refuse(self, node: nodes.Node, message: str) -> None:
        problem = Problem(self.part, node.lineno or None, message)
        if problem not in self.problems:
            self.problems.append(problem)

    def check(self, node: nodes.Node, scope: _Scope) -> None:
        if isinstance(node, nodes.Name):
            self._name(node, scope)
        elif isinstance(node, nodes.Getattr):
            self._getattr(node, scope)
        elif isinstance(node, nodes.Filter | nodes.Test):
            self._filter_or_test(node, scope)
        elif isinstance(node, nodes.For):
            self._for(node, scope)
        elif isinstance(node, nodes.Output):
            self._output(node, scope)
        elif isinstance(node, nodes.Call):
            self.check(node.node, scope)  # names what it would call: `range`, `lipsum`, ...
            self.refuse(node, _REFUSED_WORDS[nodes.Call])
        elif isinstance(node, _PLAIN):
            for child in node.iter_child_nodes():
                self.check(child, scope)
        else:
            self.refuse(node, _REFUSED_WORDS.get(type(node), f"{type(node).__name__} is not allowed in a message"))

    def _output(self, node: nodes.Output, scope: _Scope) -> None:
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                self.html_so_far.append(child.data)
                self.markup.read(child.data)
                continue
            if self.part == HTML:
                self._html_place(child)
            self.check(child, scope)
            self.html_so_far.append("x")
            self.markup.read("x")

    def _html_place(self, node: nodes.Expr) -> None:
        """In the HTML body, a value may not go where it would be code, and only a link
        variable may go where a link's address is (a title could hold `javascript:`)."""
        before = "".join(self.html_so_far)[-2000:]
        if _CODE_ELEMENT.search(before) or _CODE_ATTRIBUTE.search(before):
            self.refuse(node, "a value cannot go inside <script>, <style>, a style attribute or an on... attribute")
        elif _URL_ATTRIBUTE.search(before):
            variable = self.variables.get(node.name) if isinstance(node, nodes.Name) else None
            if variable is None or variable.kind != LINK:
                links = ", ".join(sorted(v.name for v in self.variables.values() if v.kind == LINK)) or "none here"
                self.refuse(node, f"only a link variable ({links}) may be a link's address")
            elif not _URL_ATTRIBUTE_START.search(before):
                self.refuse(
                    node,
                    f'{variable.name} must be the whole address (href="{{{{ {variable.name} }}}}"): '
                    "inside another address, a one-time link would go to that address's server",
                )
        elif self.markup.in_tag_unquoted:
            self.refuse(
                node,
                'inside a tag, a value goes only inside a quoted attribute value (title="{{ title }}"): '
                "unquoted, it could add attributes of its own",
            )

    def _name(self, node: nodes.Name, scope: _Scope) -> None:
        name = node.name
        if name.startswith("_"):
            self.refuse(node, f"“{name}”: names beginning with an underscore are not allowed")
        elif scope.item and name in (scope.item[0], "loop"):
            return
        elif name not in self.variables:
            known = ", ".join(sorted(self.variables))
            self.refuse(node, f"“{name}” is not a variable of this message (its variables: {known})")

    def _getattr(self, node: nodes.Getattr, scope: _Scope) -> None:
        attr = node.attr
        base = node.node
        if attr.startswith("_"):
            self.check(base, scope)
            self.refuse(node, f"“.{attr}”: names beginning with an underscore are not allowed")
            return
        if isinstance(base, nodes.Name) and scope.item and base.name == scope.item[0]:
            fields = [f.name for f in scope.item[1].fields]
            if attr not in fields:
                self.refuse(node, f"“{base.name}.{attr}”: each item has only {', '.join(fields)}")
        elif isinstance(base, nodes.Name) and scope.item and base.name == "loop":
            if attr not in LOOP_FIELDS:
                self.refuse(node, f"“loop.{attr}”: a loop has only {', '.join(LOOP_FIELDS)}")
        else:
            self.check(base, scope)
            self.refuse(node, f"“.{attr}”: only a list item's fields (inside its loop) are read with a dot")

    def _filter_or_test(self, node: nodes.Filter | nodes.Test, scope: _Scope) -> None:
        allowed, kind = (FILTERS, "filter") if isinstance(node, nodes.Filter) else (TESTS, "test")
        if node.name not in allowed:
            self.refuse(node, f"the {kind} “{node.name}” is not allowed (allowed: {', '.join(allowed)})")
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.refuse(node, f"*args and **kwargs are not allowed in a {kind}")
        for child in (node.node, *node.args, *node.kwargs):
            if child is not None:
                self.check(child, scope)

    def _for(self, node: nodes.For, scope: _Scope) -> None:
        if scope.item is not None:
            self.refuse(node, "a loop inside a loop is not allowed")
            return
        if node.recursive:
            self.refuse(node, "recursive loops are not allowed")
        lists = sorted(v.name for v in self.variables.values() if v.kind == LIST)
        iterated = node.iter
        variable = self.variables.get(iterated.name) if isinstance(iterated, nodes.Name) else None
        if variable is None or variable.kind != LIST:
            self.check(iterated, scope)
            self.refuse(
                node, f"a loop may only go through a list variable ({', '.join(lists) or 'this message has none'})"
            )
            return
        if not isinstance(node.target, nodes.Name) or node.target.name.startswith("_"):
            self.refuse(node, "a loop takes one item at a time: {% for item in " + variable.name + " %}")
            return
        inner = _Scope(scope.variables, (node.target.name, variable))
        if node.test is not None:
            self.check(node.test, inner)
        for child in node.body:
            self.check(child, inner)
        for child in node.else_:
            self.check(child, scope)


def _parse(env: SandboxedEnvironment, part: str, source: str) -> tuple[nodes.Template | None, list[Problem]]:
    try:
        return env.parse(source), []
    except jinja2.TemplateSyntaxError as exc:
        return None, [Problem(part, exc.lineno, f"the template does not read: {exc.message}")]


@functools.lru_cache(maxsize=512)  # the same template is checked for every message queued from it
def _check_part(spec: TemplateSpec, part: str, source: str) -> tuple[Problem, ...]:
    return tuple(_problems_of_part(spec, part, source))


def _fetches(source: str) -> list[Problem]:
    """Whatever in an HTML body a mail client would fetch from elsewhere when the message is opened."""
    in_tag = next((m for tag in _TAG.finditer(source) if (m := _FETCH_ATTRIBUTE.search(source, *tag.span()))), None)
    found = min((m for m in (in_tag, _FETCH.search(source)) if m), key=lambda m: m.start(), default=None)
    if found is None:
        return []
    line = source.count("\n", 0, found.start()) + 1
    return [
        Problem(
            HTML,
            line,
            f"“{found.group().strip()}”: a message fetches nothing when it is opened (no images, frames, "
            "style sheets or other resources from elsewhere: they would tell their server who opened it, "
            "where and when); link to a page instead",
        )
    ]


def _problems_of_part(spec: TemplateSpec, part: str, source: str) -> list[Problem]:
    limit = MAX_SUBJECT_SOURCE if part == SUBJECT else MAX_BODY_SOURCE
    if not source.strip():
        return [Problem(part, None, "it is empty")] if part != HTML else []
    problems = []
    if len(source) > limit:
        problems.append(Problem(part, None, f"it has {len(source):,} characters; at most {limit:,} are allowed"))
    if part == SUBJECT and ("\n" in source or "\r" in source):
        problems.append(
            Problem(part, 2, "the subject must be one line (a line break in a subject could add mail headers)")
        )
    env = _HTML_ENV if part == HTML else _PLAIN_ENV
    tree, syntax = _parse(env, part, source)
    if tree is None:
        return problems + syntax
    checker = _Checker(spec, part)
    checker.check(tree, _Scope(checker.variables))
    if checker.problems:
        return problems + checker.problems
    if part == HTML:
        problems += _fetches(source)
    # Then Jinja's own list of the names the template reads from outside (loop items excluded).
    try:
        undeclared = meta.find_undeclared_variables(tree)
    except jinja2.TemplateError as exc:
        return [*problems, Problem(part, getattr(exc, "lineno", None), f"the template does not read: {exc}")]
    problems += [
        Problem(part, None, f"“{name}” is not a variable of this message")
        for name in sorted(undeclared - set(checker.variables))
    ]
    return problems


def validate(spec: TemplateSpec, subject: str, text: str, html: str | None) -> list[Problem]:
    """Everything wrong with a template's three parts; an empty list means it may be saved."""
    problems = [*_check_part(spec, SUBJECT, subject), *_check_part(spec, TEXT, text)]
    if html is not None:
        problems += _check_part(spec, HTML, html)
    return problems


def _plain(value: Any) -> str:
    """A value as exact text: a `str` subclass (such as markupsafe's `Markup`) loses its type,
    so the HTML body escapes it like any other value."""
    return "".join(str(value))


def _value(spec: TemplateSpec, variable: Variable, value: Any) -> Any:
    if variable.kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TemplateError(f"{spec.purpose}: {variable.name} must be a whole number, not {value!r}")
        return value
    if variable.kind == LINK:
        link = _plain(value)
        if not link.lower().startswith(("https://", "http://")) or one_line(link) != link or " " in link:
            raise TemplateError(f"{spec.purpose}: {variable.name} must be an http(s) address, not {link!r}")
        return link
    if variable.kind != LIST:
        return _plain(value)
    return _list_value(spec, variable, value)


def _list_value(spec: TemplateSpec, variable: Variable, value: Any) -> list[dict[str, str]]:
    """A list's items, each with exactly its declared fields (so no undeclared field, such
    as an identity, rides along), as text; at most MAX_LIST_ITEMS of them."""
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        raise TemplateError(f"{spec.purpose}: {variable.name} must be a list")
    items = list(value)
    if len(items) > MAX_LIST_ITEMS:
        raise TemplateError(f"{spec.purpose}: {variable.name} has {len(items):,} items; at most {MAX_LIST_ITEMS:,}")
    fields = {f.name for f in variable.fields}
    out = []
    for item in items:
        if not isinstance(item, Mapping) or set(item) != fields:
            given = sorted(item) if isinstance(item, Mapping) else type(item).__name__
            raise TemplateError(
                f"{spec.purpose}: each item of {variable.name} has exactly {', '.join(sorted(fields))}, not {given}"
            )
        out.append({name: _plain(item[name]) for name in fields})
    return out


def _context(spec: TemplateSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    declared = {v.name: v for v in spec.variables}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise TemplateError(f"{spec.purpose}: not variables of this message: {', '.join(unknown)}")
    missing = sorted(set(declared) - set(values))
    if missing:
        raise TemplateError(f"{spec.purpose}: no value given for {', '.join(missing)}")
    return {name: _value(spec, variable, values[name]) for name, variable in declared.items()}


@functools.lru_cache(maxsize=512)  # compiled once, rendered for every message (a Template is thread-safe)
def _compiled(env: SandboxedEnvironment, source: str) -> jinja2.Template:
    return env.from_string(source)


def _chunks(env: SandboxedEnvironment, source: str, context: dict[str, Any]) -> Iterator[str]:
    return _compiled(env, source).generate(context)


def _render_part(part: str, source: str, context: dict[str, Any], deadline: float) -> str:
    limit = MAX_SUBJECT_CHARS if part == SUBJECT else MAX_BODY_CHARS
    env = _HTML_ENV if part == HTML else _PLAIN_ENV
    out: list[str] = []
    size = 0
    try:
        for chunk in _chunks(env, source, context):
            size += len(chunk)
            if size > limit:
                raise TemplateError(f"{PART_WORDS[part]}: the message would be longer than {limit:,} characters")
            if time.monotonic() > deadline:
                raise TemplateError(f"{PART_WORDS[part]}: rendering took longer than {MAX_RENDER_SECONDS:g} seconds")
            out.append(chunk)
    except TemplateError:
        raise
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateError(f"{PART_WORDS[part]}: it cannot be rendered: {exc}") from None
    return "".join(out)


def one_line(text: str) -> str:
    """The text on one line: line breaks, tabs and control characters become single spaces."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())


def render(spec: TemplateSpec, subject: str, text: str, html: str | None, values: Mapping[str, Any]) -> Rendered:
    """The message, rendered with `values` (one for each of the spec's variables, no more);
    TemplateError with the reason if the template is invalid or fails to render."""
    problems = validate(spec, subject, text, html)
    if problems:
        raise TemplateError("; ".join(str(p) for p in problems), tuple(problems))
    context = _context(spec, values)
    deadline = time.monotonic() + MAX_RENDER_SECONDS
    rendered_subject = one_line(_render_part(SUBJECT, subject, context, deadline))
    if not rendered_subject:
        raise TemplateError("Subject: it renders empty")
    body = _render_part(TEXT, text, context, deadline)
    body_html = _render_part(HTML, html, context, deadline) if html is not None and html.strip() else None
    return Rendered(rendered_subject, body, body_html)
