"""The file-system spec (tests/runtime/specs/filesystem.env.yaml, no `sql:` tool) against a plain-Python file system.

`Reference` is written here from the tools' descriptions, independently of the compiler: a dict of paths, a
working directory, a bookmark list and an alias dict. Every call goes to both; after each one the results and
the whole state (rows, list order, map insertion order) must be the same. A fixed session covers each tool and
error; a hypothesis test draws short random sessions (more with ASCC_SLOW=1).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascc.runtime.env import Environment


class Refused(Exception):
    pass


def normpath(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


class Reference:
    """The file system as a Python programmer would write it: {path: node}, nodes as dicts."""

    def __init__(self) -> None:
        self.nodes = {"/": ("dir", ""), "/home": ("dir", ""), "/home/notes.txt": ("file", "todo\nbuy milk  \nfix sink")}
        self.cwd = "/home"
        self.bookmarks: list[str] = []
        self.aliases: dict[str, str] = {}

    def _abs(self, path: str) -> str:
        return normpath(path if path.startswith("/") else self.cwd + "/" + path)

    @staticmethod
    def _up(p: str) -> str:
        return p.rsplit("/", 1)[0] or "/"

    def _below(self, p: str) -> list[str]:
        return [q for q in self.nodes if q != p and q.startswith(p.rstrip("/") + "/")]

    def _file(self, path: str) -> str:
        p = self._abs(path)
        if p not in self.nodes:
            raise Refused(f"No such file {path}")
        if self.nodes[p][0] != "file":
            raise Refused(f"Is a directory {path}")
        return p

    def _holder(self, path: str, p: str) -> None:
        if self._up(p) not in self.nodes:
            raise Refused(f"No such directory to hold {path}")
        if self.nodes[self._up(p)][0] != "dir":
            raise Refused(f"Not a directory to hold {path}")

    # ---- the tools
    def pwd(self):
        return self.cwd

    def cd(self, path):
        p = self._abs(path)
        if p not in self.nodes:
            raise Refused(f"No such directory {path}")
        if self.nodes[p][0] != "dir":
            raise Refused(f"Not a directory {path}")
        self.cwd = p
        return p

    def mkdir(self, path):
        p = self._abs(path)
        if p in self.nodes:
            raise Refused(f"Already exists {path}")
        self._holder(path, p)
        self.nodes[p] = ("dir", "")
        return p

    def write(self, path, text=""):
        p = self._abs(path)
        self._holder(path, p)
        if p in self.nodes and self.nodes[p][0] == "dir":
            raise Refused(f"Is a directory {path}")
        self.nodes[p] = ("file", text)
        return {"path": p, "size": len(text)}

    def sed(self, path, old, new):
        p = self._file(path)
        if not old:
            raise Refused("Nothing to replace")
        text = self.nodes[p][1].replace(old, new)
        self.nodes[p] = ("file", text)
        return len(text)

    def head(self, path, lines=10):
        p = self._file(path)
        if lines < 0:
            raise Refused("Lines cannot be negative")
        return "\n".join(self.nodes[p][1].split("\n")[:lines])

    def grep(self, path, text):
        p = self._file(path)
        return [line.rstrip() for line in self.nodes[p][1].split("\n") if text in line]

    def cat(self, path):
        return self.nodes[self._file(path)][1]

    def ls(self, path="."):
        p = self._abs(path)
        if p not in self.nodes:
            raise Refused(f"No such file or directory {path}")
        if self.nodes[p][0] == "file":
            return [p.rsplit("/", 1)[1]]
        return sorted(q.rsplit("/", 1)[1] for q in self.nodes if q != "/" and self._up(q) == p)

    def rm(self, path, recursive=False):
        p = self._abs(path)
        if p == "/":
            raise Refused("Cannot remove the root")
        if (self.cwd + "/").startswith(p + "/"):
            raise Refused("Cannot remove the working directory or one above it")
        if p not in self.nodes:
            raise Refused(f"No such file or directory {path}")
        below = self._below(p)
        if self.nodes[p][0] == "dir" and not recursive and below:
            raise Refused(f"Directory not empty {path}")
        for q in [*below, p]:
            del self.nodes[q]
        return len(below) + 1

    def find(self, path=".", name=""):
        p = self._abs(path)
        if p not in self.nodes:
            raise Refused(f"No such file or directory {path}")
        return sorted(q for q in [p, *self._below(p)] if name in q.rsplit("/", 1)[1])

    def du(self, path="."):
        p = self._abs(path)
        if p not in self.nodes:
            raise Refused(f"No such file or directory {path}")
        return sum(len(self.nodes[q][1]) for q in [p, *self._below(p)])

    def bookmark(self, path="."):
        self.bookmarks.append(self._abs(path))
        return list(self.bookmarks)

    def unbookmark(self, path):
        p = self._abs(path)
        if p not in self.bookmarks:
            raise Refused(f"Not bookmarked {path}")
        self.bookmarks.remove(p)  # the first equal item
        return list(self.bookmarks)

    def alias(self, name, path="."):
        self.aliases[name] = self._abs(path)
        return list(self.aliases)

    def aliases_(self):
        return [{"name": k, "path": v} for k, v in self.aliases.items()]

    def state(self):
        nodes = {p: (kind, text, len(text), None if p == "/" else self._up(p)) for p, (kind, text) in self.nodes.items()}
        return sorted(nodes.items()), self.cwd, self.bookmarks, list(self.aliases.items())


def env_state(env: Environment):
    nodes = {r["path"]: (r["kind"], r["content"], r["size"], r["parent"]) for r in env.rows("node")}
    (s,) = env.rows("session")
    return sorted(nodes.items()), s["cwd"], list(s["bookmarks"]), list(s["aliases"].items())


def step(env: Environment, ref: Reference, tool: str, args: dict) -> None:
    try:
        want = getattr(ref, "aliases_" if tool == "aliases" else tool)(**args)
    except Refused as exc:
        want = {"error": str(exc)}
    got = env.call(tool, args)
    shown = got.value if got.ok else {"error": got.value["error"]["message"]}
    assert shown == want, f"{tool}({args})"
    assert env_state(env) == ref.state(), f"state after {tool}({args})"


SESSION = [
    ("pwd", {}), ("ls", {}), ("mkdir", {"path": "a"}), ("mkdir", {"path": "a/b"}), ("mkdir", {"path": "a"}),
    ("mkdir", {"path": "x/y"}), ("cd", {"path": "a/b/../b"}), ("pwd", {}), ("write", {"path": "f.txt", "text": "hi\nthere"}),
    ("write", {"path": "f.txt", "text": "again"}), ("write", {"path": "/home/a", "text": "x"}),
    ("write", {"path": "f.txt/g", "text": "x"}), ("mkdir", {"path": "f.txt/g"}), ("cd", {"path": "f.txt"}),
    ("cd", {"path": "../../../../.."}), ("find", {}), ("find", {"path": "home", "name": "t"}), ("du", {"path": "home"}),
    ("head", {"path": "home/notes.txt", "lines": 2}), ("head", {"path": "home", "lines": 1}),
    ("head", {"path": "home/notes.txt", "lines": -1}), ("grep", {"path": "home/notes.txt", "text": "milk"}),
    ("sed", {"path": "home/notes.txt", "old": "milk", "new": "bread"}), ("sed", {"path": "home/notes.txt", "old": "", "new": "x"}),
    ("cat", {"path": "/home/notes.txt"}), ("cat", {"path": "nope"}), ("ls", {"path": "home/notes.txt"}),
    ("cd", {"path": "home/a"}), ("rm", {"path": "/home"}), ("rm", {"path": "."}), ("cd", {"path": "/"}), ("rm", {"path": "/"}),
    ("rm", {"path": "home"}), ("bookmark", {"path": "home"}), ("bookmark", {}), ("bookmark", {"path": "/home/"}),
    ("unbookmark", {"path": "/home"}), ("unbookmark", {"path": "/tmp"}), ("alias", {"name": "z", "path": "/"}),
    ("alias", {"name": "a"}), ("alias", {"name": "z", "path": "home"}), ("aliases", {}),
    ("rm", {"path": "home", "recursive": True}), ("find", {}), ("du", {}), ("ls", {"path": "/"}), ("rm", {"path": "home"}),
]


@pytest.fixture(scope="module")
def filesystem(test_domains):
    return test_domains["filesystem"]


def test_a_session_matches_the_reference_after_every_call(filesystem) -> None:
    with Environment(filesystem) as env:
        ref = Reference()
        assert env_state(env) == ref.state()
        for tool, args in SESSION:
            step(env, ref, tool, args)


def test_the_spec_has_no_sql_tool(filesystem) -> None:
    assert not [t for t, meta in filesystem.meta["tools"].items() if meta.get("sql")]


_PATHS = st.sampled_from(["a", "b", "a/b", "a/../b", "/", ".", "..", "/home", "home/notes.txt", "a/f", "b/a/f",
                          "../home/./a", "f", "/a//b/"])
_TEXT = st.sampled_from(["", "x", "hi\nyou ", "a b\nb"])
CALLS = st.one_of(
    st.tuples(st.sampled_from(["cd", "mkdir", "cat", "unbookmark"]), st.fixed_dictionaries({"path": _PATHS})),
    st.tuples(st.just("write"), st.fixed_dictionaries({"path": _PATHS, "text": _TEXT})),
    st.tuples(st.sampled_from(["ls", "du", "bookmark"]), st.fixed_dictionaries({"path": _PATHS})),
    st.tuples(st.just("find"), st.fixed_dictionaries({"path": _PATHS, "name": st.sampled_from(["", "a", "f"])})),
    st.tuples(st.just("rm"), st.fixed_dictionaries({"path": _PATHS, "recursive": st.booleans()})),
    st.tuples(st.just("sed"), st.fixed_dictionaries({"path": _PATHS, "old": _TEXT, "new": _TEXT})),
    st.tuples(st.just("head"), st.fixed_dictionaries({"path": _PATHS, "lines": st.integers(-1, 3)})),
    st.tuples(st.just("grep"), st.fixed_dictionaries({"path": _PATHS, "text": _TEXT})),
    st.tuples(st.just("alias"), st.fixed_dictionaries({"name": st.sampled_from(["p", "q", "r"]), "path": _PATHS})),
    st.tuples(st.sampled_from(["pwd", "aliases"]), st.just({})),
)
EXAMPLES = 200 if os.environ.get("ASCC_SLOW") else 12


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(calls=st.lists(CALLS, min_size=1, max_size=15))
def test_random_sessions_match_the_reference(filesystem, calls) -> None:
    with Environment(filesystem) as env:
        ref = Reference()
        for tool, args in calls:
            step(env, ref, tool, args)
