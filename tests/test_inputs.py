"""Hostile input files: every YAML, JSON and TOML text ascc parses answers a bomb at once, with its place.

A YAML alias bomb (nine levels of nine-fold aliases: a few hundred bytes, 9^10 nodes expanded), nesting
thousands of levels deep and bytes that are not UTF-8 are given to each reader: specs (`ascc check`), train
configs, task files, seed files and τ²-bench's imported data. Each must refuse within a second and 100 MB,
naming the line and column of the alias, the level past the limit or the bad byte.
"""

from __future__ import annotations

import shutil
import time
import tracemalloc
from pathlib import Path

import pytest

from ascc import inputs
from ascc.compiler.build import compile_file
from ascc.importers.tau2 import Tau2ImportError, import_tau2
from ascc.runtime.tasks import TaskFileError, load_tasks
from ascc.trainer.config import ConfigError, load_config

FIXTURES = Path(__file__).parent / "fixtures"


def alias_bomb(levels: int = 9, fold: int = 9, key_prefix: str = "") -> str:
    """`levels` anchors, each a list of `fold` aliases of the one before: fold^(levels+1) nodes when expanded."""
    lines = [f"{key_prefix}a0: &a0 [{', '.join(['lol'] * fold)}]"]
    for i in range(1, levels + 1):
        lines.append(f"{key_prefix}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fold)}]")
    return "\n".join(lines) + "\n"


BOMB = alias_bomb()
BOMB_LINE = 5  # the alias whose expansion crosses 10,000 nodes: *a3 (9^4 = 6,561 nodes each) on a4's line
DEEP_JSON = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"


def bounded(fn):
    """Call `fn`; return what it raised, after checking it took < 1 s and < 100 MB of Python memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the caller checks what was raised
        raised = exc
    else:
        raised = None
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 1.0, f"took {seconds:.2f} s"
    assert peak < 100 << 20, f"peaked at {peak >> 20} MB"
    return raised


def test_the_bomb_is_a_bomb():
    """Without the bound, PyYAML's own loader expands it (a smaller one, to keep the test fast)."""
    import yaml

    small = yaml.safe_load(alias_bomb(levels=3, fold=9))
    assert len(small["a3"]) == 9 and len(small["a3"][0][0]) == 9
    with pytest.raises(inputs.InputProblem) as info:
        inputs.check_yaml(BOMB)
    assert (info.value.code, info.value.line) == ("E016", BOMB_LINE)


def test_spec_with_an_alias_bomb(tmp_path):
    spec = tmp_path / "bomb.env.yaml"
    spec.write_text("domain: bomb\ndescription: d\nx:\n" + "".join("  " + ln + "\n" for ln in BOMB.splitlines()))
    result = None

    def run():
        nonlocal result
        result = compile_file(spec, None)

    assert bounded(run) is None
    [d] = result.diagnostics
    assert d.code == "E016" and (d.span.line, d.span.col) == (BOMB_LINE + 3, 12)


def test_spec_nesting_and_bad_bytes_have_a_place(tmp_path):
    deep = tmp_path / "deep.env.yaml"
    deep.write_text("domain: deep\ndescription: " + "[" * 3000 + "]" * 3000 + "\n")
    [d] = compile_file(deep, None).diagnostics
    assert d.code == "E105" and (d.span.line, d.span.col) == (2, 13 + 100)
    binary = tmp_path / "binary.env.yaml"
    binary.write_bytes(b"domain: x\n\x89PNG\r\n\x1a\n\0\0\0")
    [d] = compile_file(binary, None).diagnostics
    assert d.code == "E000" and (d.span.line, d.span.col) == (2, 1) and "binary" in d.message


def test_train_config_with_an_alias_bomb(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("model: m\noutput_dir: out\nphases: []\n" + BOMB)
    err = bounded(lambda: load_config(path))
    assert isinstance(err, ConfigError) and (err.line, err.col) == (BOMB_LINE + 3, 10)
    path.write_bytes(b"model: m\noutput_dir: \xff\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.line, info.value.col) == (2, 13)


def test_task_file_too_deep_or_not_text(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text('{"id": "t1"}\n' + DEEP_JSON + "\n")
    err = bounded(lambda: load_tasks(path))
    assert isinstance(err, TaskFileError)
    [problem] = [p for p in err.problems if p.startswith(f"{path}:2")]
    assert problem.startswith(f"{path}:2: ") and "nests more than 100 levels" in problem and "column 106" in problem
    path.write_bytes(b'{"id": "t1"}\n{"id": "\xc3\x28"}\n')  # \xc3 starts a two-byte character; ( does not end one
    with pytest.raises(TaskFileError) as info:
        load_tasks(path)
    assert info.value.problems[0].startswith(f"{path}:2:9: ")


def test_seed_file_too_deep(tmp_path):
    (tmp_path / "notes.jsonl").write_text('{"id": 1, "text": "a"}\n{"id": 2}\n')
    spec = tmp_path / "notes.env.yaml"
    spec.write_text("""\
domain: notes
description: Notes.
entities:
  note:
    key: id
    fields: {id: int, text: str}
tools:
  count_notes: {kind: read, description: How many notes., returns: note.count()}
seed:
  files: {note: notes.jsonl}
""")
    assert compile_file(spec, None).diagnostics  # once, for the imports and caches a first compile fills
    (tmp_path / "notes.jsonl").write_text('{"id": 1, "text": "a"}\n' + DEEP_JSON + "\n")
    result = None

    def run():
        nonlocal result
        result = compile_file(spec, None)

    assert bounded(run) is None
    [d] = result.diagnostics
    assert d.code == "E412" and d.span.file.endswith("notes.jsonl") and (d.span.line, d.span.col) == (2, 106)


def test_imported_tau2_data_too_deep(tmp_path):
    folder = tmp_path / "airline"
    shutil.copytree(FIXTURES / "tau2" / "airline", folder)
    (folder / "db.json").write_text(DEEP_JSON)
    err = bounded(lambda: import_tau2(folder, tmp_path / "out", "airline"))
    assert isinstance(err, Tau2ImportError) and "db.json:1:106:" in str(err) and "nests more than 100" in str(err)
    (folder / "db.json").unlink()
    (folder / "db.toml").write_text("users = " + "[" * 3000 + "]" * 3000 + "\n")
    err = bounded(lambda: import_tau2(folder, tmp_path / "out", "airline"))
    assert isinstance(err, Tau2ImportError) and "db.toml:1:109:" in str(err)


def test_yaml_the_importer_reads_is_bounded():
    err = bounded(lambda: inputs.load_yaml_data("seed:\n" + alias_bomb(key_prefix="  ")))
    assert isinstance(err, inputs.InputProblem) and (err.line, err.col) == (BOMB_LINE + 1, 12)


def test_ordinary_aliases_and_depth_still_load():
    text = "d: &d A shared description.\nx: {a: *d, b: *d}\n" + "n: " + "[" * 99 + "]" * 99 + "\n"
    assert inputs.load_yaml_data(text)["x"] == {"a": "A shared description.", "b": "A shared description."}
    assert inputs.load_json("[" * 100 + "]" * 100) is not None
    with pytest.raises(inputs.InputProblem):
        inputs.load_json("[" * 101 + "]" * 101)
    assert inputs.load_json('["[[[[", "\\"[["]') == ["[[[[", '"[[']


def test_size_is_bounded(tmp_path):
    path = tmp_path / "big.env.yaml"
    path.write_text("description: " + "x" * 2000 + "\n")
    with pytest.raises(inputs.InputProblem) as info:
        inputs.read_text(path, max_bytes=1000)
    assert info.value.code == "E015"
