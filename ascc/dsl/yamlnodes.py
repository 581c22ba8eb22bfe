"""YAML read into position-carrying nodes.

ruamel.yaml's composer gives every node its start and end marks; we keep them on small immutable nodes so
that every later diagnostic can point at the exact key or value it is about. Duplicate keys and anchors are
reported here rather than silently resolved.

Composing goes through libyaml (PyYAML's C parser, when installed) for plain, well-formed files: about seven
times faster than ruamel's pure-Python round-trip parser, and it yields the same nodes, tags and marks. Every
input where the two could differ — a syntax error, a missing final newline, tabs, unusual line breaks,
directives, empty values, very deep nesting — is composed by ruamel instead, so results and diagnostics are
exactly those of ruamel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from ascc.diagnostics import DiagnosticBag, Span
from ascc.dsl.yamlhelp import last_text_line, yaml_error_help
from ascc.inputs import InputProblem, check_yaml

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class YScalar:
    value: object  # str, int, float, bool or None
    span: Span
    style: str | None  # None (plain), "'", '"', "|", ">"
    # where the string's characters start in the file, for offsetting expression spans
    text_line: int = 0
    text_col: int = 0

    @property
    def is_str(self) -> bool:
        return isinstance(self.value, str)


@dataclass(frozen=True)
class YMap:
    items: tuple[tuple[YScalar, YNode], ...]
    span: Span

    def get(self, key: str) -> YNode | None:
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def key_node(self, key: str) -> YScalar | None:
        for k, _ in self.items:
            if k.value == key:
                return k
        return None

    def keys(self) -> list[str]:
        return [str(k.value) for k, _ in self.items]


@dataclass(frozen=True)
class YSeq:
    items: tuple[YNode, ...]
    span: Span


YNode = YScalar | YMap | YSeq


@dataclass
class YamlDocument:
    root: YNode | None
    text: str
    file: str
    errors: list = field(default_factory=list)


def _span(file: str, node) -> Span:
    s, e = node.start_mark, node.end_mark
    if e.line > s.line and e.column == 0:  # block nodes end at the start of the next line
        return Span(file, s.line + 1, s.column + 1, s.line + 1, s.column + 2)
    return Span(file, s.line + 1, s.column + 1, e.line + 1, e.column + 1)


def _scalar_value(node: ScalarNode):
    if node.style:  # quoted or block scalars are always strings
        return node.value
    tag = node.tag if isinstance(node.tag, str) else getattr(node.tag, "value", None)
    text = node.value
    try:
        if tag == _INT:
            return int(text.replace("_", ""), 0) if text.lower().startswith(("0x", "0o")) else int(text)
        if tag == _FLOAT:
            return float(text)
    except ValueError:
        return text
    if tag == _BOOL:
        return text.lower() == "true"
    if tag == _NULL:
        return None
    return text


def _text_start(node: ScalarNode, lines: list[str]) -> tuple[int, int]:
    """Where a scalar's characters begin: after the quote, or on the first line of a block scalar."""
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if node.style in ("'", '"'):
        return line, col + 1
    if node.style in ("|", ">"):
        nxt = line  # content starts on the next line, indented
        if nxt < len(lines):
            body = lines[nxt]
            return nxt + 1, len(body) - len(body.lstrip()) + 1
    return line, col


# ---- the libyaml fast path

# where libyaml and ruamel can disagree: line breaks and tabs they treat differently, directives (YAML 1.1 rules)
_UNSAFE = re.compile(r"[\t\r\x85\u2028\u2029\ufeff]|^%", re.M)
_MAX_DEPTH = 5000  # libyaml composes recursively in C; far deeper input could overflow the C stack


def _libyaml_composer():
    try:
        from yaml import nodes as pynodes
        from yaml._yaml import CParser
    except ImportError:
        return None
    resolver = VersionedResolver()  # ruamel's YAML 1.2 rules, as the round-trip loader uses
    defaults = {pynodes.ScalarNode: "tag:yaml.org,2002:str", pynodes.SequenceNode: "tag:yaml.org,2002:seq",
                pynodes.MappingNode: "tag:yaml.org,2002:map"}

    class Composer(CParser):
        def resolve(self, kind, value, implicit):
            if kind is pynodes.ScalarNode and implicit[0]:
                return resolver.resolve(ScalarNode, value, implicit).value
            return defaults[kind]

        def descend_resolver(self, *args):
            pass

        def ascend_resolver(self, *args):
            pass

    return Composer, pynodes


_LIBYAML = _libyaml_composer()
_SCALARS, _SEQUENCES, _MAPPINGS = (ScalarNode,), (SequenceNode,), (MappingNode,)
if _LIBYAML is not None:
    _SCALARS += (_LIBYAML[1].ScalarNode,)
    _SEQUENCES += (_LIBYAML[1].SequenceNode,)
    _MAPPINGS += (_LIBYAML[1].MappingNode,)


def _has_empty_value(node) -> bool:
    """Empty plain values (`key:`): libyaml marks them where the key ends, ruamel where the next token starts."""
    if isinstance(node, _SCALARS):
        return node.value == "" and not node.style
    if isinstance(node, _SEQUENCES):
        return any(_has_empty_value(n) for n in node.value)
    return any(_has_empty_value(k) or _has_empty_value(v) for k, v in node.value)


def _compose_fast(text: str):
    """The document's root node from libyaml, or None where ruamel must compose it."""
    if _LIBYAML is None or not text.endswith("\n") or _UNSAFE.search(text):
        return None
    if sum(text.count(c) for c in "[{-?:") >= _MAX_DEPTH:  # a bound on the nesting depth
        return None
    parser = _LIBYAML[0](text)
    try:
        root = parser.get_single_node()
    except Exception:  # any problem: ruamel composes it and reports it in its own words
        return None
    finally:
        parser.dispose()
    if root is None or _has_empty_value(root):
        return None
    return root


def _compose(text: str):
    root = _compose_fast(text)
    return root if root is not None else YAML(typ="rt").compose(text)


class _Converter:
    def __init__(self, file: str, text: str, bag: DiagnosticBag):
        self.file, self.bag = file, bag
        self.lines = text.splitlines()

    def convert(self, node) -> YNode:
        if isinstance(node, _SCALARS):
            line, col = _text_start(node, self.lines)
            style = node.style if node.style in ("'", '"', "|", ">") else None
            return YScalar(_scalar_value(node), _span(self.file, node), style, line, col)
        if isinstance(node, _SEQUENCES):
            return YSeq(tuple(self.convert(n) for n in node.value), _span(self.file, node))
        if isinstance(node, _MAPPINGS):
            return self._mapping(node)
        raise TypeError(f"unexpected YAML node {type(node).__name__}")  # pragma: no cover

    def _dropped(self, key: YScalar, node) -> dict:
        """A duplicate `let:` block is dropped: the names it defines are remembered, so that their uses
        do not each report an unknown name (E234); E004 says why once."""
        if key.value != "let" or not isinstance(node, _MAPPINGS):  # only `let` values are names in expressions
            return {}
        names = [str(k.value) for k, _ in node.value if isinstance(k, _SCALARS)]
        self.bag.dropped_names.update(names)
        return _dropped_help(key, names) if names else {}

    def _mapping(self, node) -> YMap:
        items, seen = [], {}
        for k, v in node.value:
            key = self.convert(k)
            if not isinstance(key, YScalar) or isinstance(key.value, (list, dict)):
                self.bag.error("E002", "a mapping key must be a plain value", key.span)
                continue
            if isinstance(key.value, str) and key.value == "<<":
                self.bag.error("E003", "YAML merge keys (`<<`) are not supported", key.span,
                               help="write the fields out; use `types:` for shared shapes")
                continue
            first = seen.get(key.value)
            if first is not None:
                self.bag.error("E004", f"duplicate key `{key.value}`", key.span,
                               labels=(_label(first.span, "first defined here"),), **self._dropped(key, v))
                continue
            seen[key.value] = key
            items.append((key, self.convert(v)))
        return YMap(tuple(items), _span(self.file, node))


def _dropped_help(key, names: list[str]) -> dict:
    """The note and help of a duplicate `let:` block, dropped with the names it defines."""
    shown = ", ".join(f"`{n}`" for n in names[:6]) + (", …" if len(names) > 6 else "")
    return {"notes": (f"this second `let:` is ignored with everything in it, so {shown} "
                      f"{'is' if len(names) == 1 else 'are'} not defined; their uses are not reported again",),
            "help": "merge the two `let:` blocks into one"}


def _label(span: Span, msg: str):
    from ascc.diagnostics import Label

    return Label(span, msg)


_BOUND_HELP = {"E016": "write the values out, or share shapes with `types:`",
               "E105": "a spec nests about a dozen levels; split deeper values into `types:` or seed files"}


def load_yaml(text: str, file: str, bag: DiagnosticBag) -> YamlDocument:
    """Parse one YAML document into nodes; syntax errors become E001 diagnostics, and a text over the bounds of
    `ascc.inputs` (aliases that expand too far, nesting too deep) their own, at the place they are about."""
    try:
        check_yaml(text)
    except InputProblem as exc:
        bag.error(exc.code, exc.message, Span.point(file, exc.line, exc.col), help=_BOUND_HELP.get(exc.code))
        return YamlDocument(None, text, file)
    try:
        root = _compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        lines = text.split("\n")
        if (at := last_text_line(lines, line)) != line:  # YAML noticed it on a blank line: show the line before
            line, col = at, len(lines[at - 1].rstrip()) + 1
        opened = exc.context_mark.line + 1 if exc.context_mark is not None and exc.problem_mark else None
        help_, notes = yaml_error_help(problem, lines, line, opened, col)
        bag.error("E001", f"invalid YAML: {problem}", Span.point(file, line, col), help=help_, notes=notes)
        return YamlDocument(None, text, file)
    except YAMLError as exc:
        bag.error("E001", f"invalid YAML: {str(exc).splitlines()[0]}", Span.point(file, 1, 1))
        return YamlDocument(None, text, file)
    if root is None:
        return YamlDocument(None, text, file)
    return YamlDocument(_Converter(file, text, bag).convert(root), text, file)
