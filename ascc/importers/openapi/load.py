"""Reading API descriptions safely, and following their `$ref`s.

Every document goes through `load_document`: one place that bounds what an untrusted file may cost (its size,
YAML alias expansion, nesting depth) and turns every failure into an `ImportProblem` with a sentence, never a
traceback. `Resolver` follows `$ref`s lazily, on demand, inside one file (`#/definitions/Pet`) and to files
next to it (`common.yaml#/Error`); a reference that comes back to a schema already being expanded is a cycle,
which the caller sees as `CYCLE` and maps to an opaque value instead of recursing.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import yaml

MAX_BYTES = 20 * 1024 * 1024  # a description larger than this is refused, not parsed
MAX_ALIASES = 1000  # YAML aliases followed per document (a "billion laughs" needs millions)
MAX_DEPTH = 200  # nesting of mappings and lists
MAX_NODES = 2_000_000  # values in one document, after alias expansion


class ImportProblem(Exception):
    """Something about an input that stops its import, with the sentence the report shows."""


class _BoundedLoader(yaml.SafeLoader if not hasattr(yaml, "CSafeLoader") else yaml.CSafeLoader):
    """PyYAML's safe loader; aliases are counted in `_check_aliases` before constructing."""


def _parse_yaml(text: str) -> object:
    # Compose first (a node graph in which an alias is a shared node, so it costs nothing), count how many
    # values the document would expand to, and only then construct Python objects.
    try:
        root = yaml.compose(text, Loader=_BoundedLoader)
    except yaml.YAMLError as exc:
        raise ImportProblem(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ImportProblem(f"the document nests more than {MAX_DEPTH} levels deep") from None
    if root is None:
        return None
    _check_nodes(root)
    loader = _BoundedLoader("")
    try:
        return loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise ImportProblem(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    finally:
        loader.dispose()


def _check_nodes(root: yaml.Node) -> None:
    """Refuse YAML whose aliases would expand past MAX_NODES values, or that nests deeper than MAX_DEPTH."""
    seen: dict[int, int] = {}  # id(node) -> expanded size, so a shared node is sized once
    aliases = 0

    def size(node: yaml.Node, depth: int) -> int:
        nonlocal aliases
        if depth > MAX_DEPTH:
            raise ImportProblem(f"the document nests more than {MAX_DEPTH} levels deep")
        key = id(node)
        if key in seen:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ImportProblem(f"the document uses more than {MAX_ALIASES} YAML aliases (a YAML bomb?)")
            return seen[key]
        seen[key] = 1  # a recursive alias counts once, then construct_document builds a cycle we refuse later
        if isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(v, depth + 1) for v in node.value)
        else:
            n = 1
        if n > MAX_NODES:
            raise ImportProblem(f"the document expands to more than {MAX_NODES} values (a YAML bomb?)")
        seen[key] = n
        return n

    size(root, 0)


def load_document(path: Path) -> object:
    """One JSON or YAML file as plain data, within the limits above; ImportProblem otherwise."""
    try:
        n = path.stat().st_size
    except OSError as exc:
        raise ImportProblem(f"cannot read `{path}`: {exc.strerror}") from None
    if n > MAX_BYTES:
        raise ImportProblem(f"`{path.name}` is {n:,} bytes; descriptions over {MAX_BYTES:,} bytes are not "
                            "imported")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportProblem(f"cannot read `{path}`: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_text(text, path.suffix.lower())


def parse_text(text: str, suffix: str = "") -> object:
    stripped = text.lstrip()
    if suffix == ".json" or stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except RecursionError:
            raise ImportProblem(f"the document nests more than {MAX_DEPTH} levels deep") from None
        except ValueError as exc:
            if suffix == ".json":
                raise ImportProblem(f"invalid JSON: {exc}") from None
    return _parse_yaml(text)


CYCLE = object()  # what `Resolver.deref` yields for a reference already being expanded


class Resolver:
    """Lazy `$ref` resolution over a root document and the files it references (relative paths only)."""

    def __init__(self, root_path: Path, root_doc: object) -> None:
        self.docs: dict[Path, object] = {root_path.resolve(): root_doc}
        self.root = root_path.resolve()

    def _doc(self, path: Path) -> object:
        path = path.resolve()
        if path not in self.docs:
            if not path.is_file():
                raise ImportProblem(f"`$ref` to a missing file `{path.name}`")
            self.docs[path] = load_document(path)
        return self.docs[path]

    def deref(self, node: object, base: Path, stack: tuple = ()) -> tuple[object, Path, tuple]:
        """Follow `$ref`s until a non-reference; returns (value, the file it lives in, the refs followed).

        `stack` holds the references being expanded by the caller; meeting one again gives CYCLE.
        """
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            file_part, _, pointer = ref.partition("#")
            if file_part.startswith(("http://", "https://", "//")):
                raise ImportProblem(f"remote `$ref` `{ref}` is not followed (only files next to the spec)")
            target = (base.parent / unquote(file_part)).resolve() if file_part else base
            ident = (target, pointer)
            if ident in stack:
                return CYCLE, base, stack
            stack = (*stack, ident)
            node = _pointer(self._doc(target), pointer, ref)
            base = target
            hops += 1
            if hops > 50:
                raise ImportProblem(f"`$ref` chain through `{ref}` is longer than 50")
        return node, base, stack


def _pointer(doc: object, pointer: str, ref: str) -> object:
    if pointer in ("", "/"):
        return doc
    cur = doc
    for raw in pointer.lstrip("/").split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise ImportProblem(f"`$ref` `{ref}` points at nothing")
    return cur
