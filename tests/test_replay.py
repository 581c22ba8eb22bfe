"""State diffs, task files and `ascc replay` (as a real subprocess) on the shop domain."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ascc.lang.compiled import domain_info
from ascc.runtime.diff import diff_states, diff_values
from ascc.runtime.domain import compile_and_load
from ascc.runtime.env import Environment, to_jsonable
from ascc.runtime.replay import StateError, load_state, replay_tasks, with_initial_state, write_state
from ascc.runtime.tasks import TaskFileError, load_tasks, parse_tasks

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "shop.env.yaml"
TASKS = ROOT / "tests" / "fixtures" / "tasks"


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("build")


@pytest.fixture(scope="module")
def domain(build):
    return compile_and_load(SPEC, build)


@pytest.fixture
def env(domain):
    with Environment(domain) as e:
        yield e


def _pending(env) -> str:
    return next(r["order_id"] for r in env.rows("order") if r["status"] == "pending")


def ascc(*args, cwd=None, input=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from ascc.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, input=input, timeout=60,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"})


# ---- diff
def test_diff_after_cancel_names_each_changed_field(env, domain):
    before = env.state()
    oid = _pending(env)
    assert env.call("cancel_pending_order", {"order_id": oid, "reason": "no longer needed"}).ok
    d = diff_states(domain.info, before, env.state())
    order = d.tables["order"]
    assert not order.added and not order.removed and [c.key for c in order.changed] == [oid]
    paths = {c.path: (c.old, c.new) for c in order.changed[0].changes}
    assert paths["status"] == ("pending", "cancelled")
    assert paths["cancel_reason"] == (None, "no longer needed")
    assert paths["payments[+1]"][1]["kind"] == "refund"
    assert set(d.tables) <= {"order", "customer", "product"} and d.counts["changed"] >= 2
    json.dumps(d.to_json())  # plain JSON


def test_diff_added_removed_and_nested_paths(domain):
    row = {"order_id": "#W1", "items": [{"sku": "A", "quantity": 1}], "m": {"a": 1}}
    changed = {**row, "items": [{"sku": "A", "quantity": 2}], "m": {"a": 1, "b": 2}}
    other = {**row, "order_id": "#W2"}
    info = domain_info({"domain": "d", "entities": {"order": {"key": "order_id", "fields": {}}}})
    d = diff_states(info, {"order": [row, other]},
                    {"order": [changed, {**row, "order_id": "#W3"}]})
    t = d.tables["order"]
    assert [r["order_id"] for r in t.added] == ["#W3"] and [r["order_id"] for r in t.removed] == ["#W2"]
    assert [(c.path, c.old, c.new) for c in t.changed[0].changes] == [("items[0].quantity", 1, 2), ("m.b", None, 2)]
    assert diff_values("x", [1, 2], [1]) [0].path == "x[-1]"
    assert diff_values("x", True, 1) and not diff_values("x", Decimal("1.50"), Decimal("1.5"))


def test_no_diff_is_falsy(env, domain):
    assert not diff_states(domain.info, env.state(), env.state())


# ---- task files
def test_fixture_task_file_loads():
    tasks = load_tasks(TASKS / "shop.jsonl")
    assert [t.kind for t in tasks] == ["read", "write", "refusal", "read"]
    assert tasks[3].initial_state.setup[0].tool == "cancel_pending_order" and tasks[3].line == 4
    assert tasks[3].initial_state.reset_kwargs()["today"] == "2025-03-02"


def test_bad_task_lines_are_all_reported_with_line_numbers():
    good = {"id": "a", "domain": "shop", "kind": "read", "gold_calls": []}
    lines = [json.dumps(good), "", "{not json", json.dumps({**good, "id": "b", "kind": "chat"}),
             json.dumps({**good, "id": "c", "gold_calls": [{"tool": 3}]}), json.dumps(good),
             json.dumps({**good, "id": "d", "gold_digset": "x"}),
             json.dumps({**good, "id": "e", "initial_state": {"setup": [], "id_seed": "1"}}),
             json.dumps({**good, "id": "f", "gold_digest": "ABC"}), json.dumps({"id": "g"})]
    with pytest.raises(TaskFileError) as exc:
        parse_tasks("\n".join(lines), "t.jsonl")
    p = exc.value.problems
    assert p[0].startswith("t.jsonl:3: invalid JSON")
    assert p[1].startswith("t.jsonl:4: `kind` must be one of write, read, refusal")
    assert p[2].startswith("t.jsonl:5: `gold_calls[0]`")
    assert p[3] == "t.jsonl:6: duplicate task id `a` (first on line 1)"
    assert p[4] == "t.jsonl:7: unknown key `gold_digset` (did you mean `gold_digest`?)"
    assert p[5].startswith("t.jsonl:8: `initial_state.id_seed`")
    assert p[6].startswith("t.jsonl:9: `gold_digest` must be 64")
    assert p[7] == "t.jsonl:10: missing required key `domain`"


def test_raw_json_arguments_are_accepted():
    t = parse_tasks(json.dumps({"id": "a", "domain": "shop", "kind": "read",
                                "gold_calls": [{"tool": "get_order", "arguments": "{\"order_id\": \"#W1\"}"}]}))
    assert t[0].gold_calls[0].arguments == {"order_id": "#W1"}


# ---- state folders and replay in process
def test_state_folder_round_trip_and_init_state(env, domain, tmp_path):
    assert env.call("cancel_pending_order", {"order_id": _pending(env), "reason": "no longer needed"}).ok
    write_state(env.state(), tmp_path)
    assert not diff_states(domain.info, env.state(), load_state(domain, {e: tmp_path / f"{e}.jsonl"
                                                                         for e in domain.info.entities}))
    with Environment(with_initial_state(domain, tmp_path)) as e2:
        assert e2.digest() == env.digest()


def test_parquet_state_files_load_in_the_sandbox(env, domain):
    """The compiled initial state is parquet; a state folder of parquet files loads with no file access in DuckDB."""
    files = {e: domain.path / "state" / f"{e}.parquet" for e in domain.info.entities}
    assert all(f.exists() for f in files.values())
    assert not diff_states(domain.info, env.state(), load_state(domain, files))


def test_state_rows_are_checked_against_the_schema(domain):
    with pytest.raises(StateError, match="customer"):
        load_state(domain, {"customer": [{"customer_id": "bad", "name": "x", "email": "x@y"}]})
    with pytest.raises(StateError, match="unknown field `nam`"):
        load_state(domain, {"customer": [{"customer_id": "C0001", "nam": "x"}]})
    with pytest.raises(StateError, match="unknown table"):
        load_state(domain, {"orders": []})


def test_gold_state_mismatch_diffs_against_expected_rows(env, domain):
    oid = _pending(env)
    env.call("cancel_pending_order", {"order_id": oid, "reason": "ordered by mistake"})
    expected = {"order": to_jsonable(env.rows("order"))}
    task = parse_tasks(json.dumps({"id": "t", "domain": "shop", "kind": "write", "gold_state": expected,
                                   "gold_calls": [{"tool": "cancel_pending_order",
                                                   "arguments": {"order_id": oid, "reason": "no longer needed"}}]}))
    [o] = replay_tasks(domain, task)
    assert o.match is False and o.diff_against == "gold_state"
    [rc] = o.diff.tables["order"].changed
    assert [(c.path, c.old, c.new) for c in rc.changes] == [("cancel_reason", "no longer needed",
                                                             "ordered by mistake")]


# ---- the command
def test_replay_command_passes_on_fixture(build, tmp_path):
    r = ascc("replay", SPEC, TASKS / "shop.jsonl", "--build-dir", build, "--out", tmp_path / "r.json",
             "--state-file", tmp_path / "st")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 tasks: 4 passed, 0 failed" in r.stdout and "✗" not in r.stdout
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["summary"] == {"tasks": 4, "failed": 0, "matched": 4, "unchecked": 0}
    refuse = rep["tasks"][2]
    assert refuse["errors"] == 1 and refuse["calls"][0]["error_code"] == "precondition"
    assert (tmp_path / "st" / "cancel-1" / "order.jsonl").exists()


def test_replay_command_explains_a_mismatch(build, tmp_path):
    r = ascc("replay", SPEC, TASKS / "shop_mismatch.jsonl", "--build-dir", build, "--out", tmp_path / "r.json")
    assert r.returncode == 1
    assert "✗ wrong-reason" in r.stdout and "initial state → final state" in r.stdout
    assert '"pending" → "cancelled"' in r.stdout
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["tasks"][0]["match"] is False and rep["tasks"][0]["diff_against"] == "initial"
    assert rep["tasks"][1]["match"] is None and rep["summary"]["failed"] == 1


def test_replay_command_with_expected_state_and_init_state(build, tmp_path, env):
    # the expected rows: what "ordered by mistake" leaves behind, as a {"tasks": {id: rows}} file
    oid = json.loads((TASKS / "shop_mismatch.jsonl").read_text().splitlines()[0])["gold_calls"][0]["arguments"]
    env.call("cancel_pending_order", {**oid, "reason": "ordered by mistake"})
    expect = tmp_path / "expect.json"
    expect.write_text(json.dumps({"tasks": {"no-digest": {"order": to_jsonable(env.rows("order"))}}}))
    r = ascc("replay", SPEC, TASKS / "shop_mismatch.jsonl", "--build-dir", build, "--expect-state", expect)
    assert r.returncode == 1
    assert "✗ no-digest" in r.stdout and "final state → expected state" in r.stdout
    assert '"no longer needed" → "ordered by mistake"' in r.stdout
    # an initial state folder: the product table alone (the rest empty) makes every gold call fail
    (tmp_path / "init").mkdir()
    (tmp_path / "init" / "product.json").write_text(json.dumps(to_jsonable(env.rows("product"))))
    r = ascc("replay", SPEC, TASKS / "shop.jsonl", "--build-dir", build, "--init-state", tmp_path / "init")
    assert r.returncode == 1 and "Customer not found" in r.stdout


def test_replay_command_reports_bad_task_file(build, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n[1]\n')
    r = ascc("replay", SPEC, bad, "--build-dir", build)
    assert r.returncode == 1
    assert f"{bad}:1: missing required key" in r.stderr.replace("\n", "") or "missing required key" in r.stderr
    assert ":2: expected a JSON object" in r.stderr


def test_any_text_is_tasks_or_a_task_file_error():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c,
                                                                                         max_size=4), max_leaves=8)
    keys = st.sampled_from(["id", "domain", "kind", "gold_calls", "initial_state", "gold_digest", "user", "x"])
    lines = st.dictionaries(keys, values, max_size=6).map(json.dumps) | st.text(max_size=30)

    @settings(max_examples=200, deadline=None)
    @given(st.lists(lines, max_size=4))
    def check(ls):
        try:
            parse_tasks("\n".join(x.replace("\n", " ") for x in ls))
        except TaskFileError as exc:
            assert all(":" in p for p in exc.problems)

    check()


# ---- several domains
@pytest.fixture(scope="module")
def two_domains(build, tmp_path_factory) -> tuple[Path, Path]:
    """A folder with the shop and library specs, and a task file of both domains as `ascc synth` writes it."""
    folder = tmp_path_factory.mktemp("specs")
    for name in ("shop", "library"):
        (folder / f"{name}.env.yaml").symlink_to(ROOT / "specs" / f"{name}.env.yaml")
    tasks = folder.parent / f"{folder.name}-tasks.jsonl"
    r = ascc("synth", folder, "--tasks", "8", "-o", tasks, "--build-dir", build, "--jobs", "1")
    assert r.returncode == 0, r.stderr
    assert {t.domain for t in load_tasks(tasks)} == {"shop", "library"}
    return folder, tasks


def test_replay_a_folder_of_specs_replays_each_task_in_its_domain(build, two_domains, tmp_path):
    folder, tasks = two_domains
    r = ascc("replay", folder, tasks, "--build-dir", build, "--out", tmp_path / "r.json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "8 tasks: 8 passed, 0 failed" in r.stdout and "library" in r.stdout and "shop" in r.stdout
    rep = json.loads((tmp_path / "r.json").read_text())
    assert sorted(rep["domains"]) == ["library", "shop"]
    assert rep["summary"] == {"tasks": 8, "failed": 0, "matched": 8, "unchecked": 0}
    assert [t["id"] for t in rep["tasks"]] == [t.id for t in load_tasks(tasks)]  # the file's order


def test_replay_one_spec_leaves_out_other_domains_tasks_and_says_so(build, two_domains):
    _, tasks = two_domains
    r = ascc("replay", SPEC, tasks, "--build-dir", build)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "leaving out 4 of 8 tasks, which are for other domains (library)" in r.stderr
    assert "4 tasks: 4 passed, 0 failed" in r.stdout


def test_replay_a_folder_without_a_tasks_domain_is_an_error(build, two_domains, tmp_path):
    _, tasks = two_domains
    (tmp_path / "shop.env.yaml").symlink_to(SPEC)
    r = ascc("replay", tmp_path, tasks, "--build-dir", build)
    assert r.returncode == 1 and "4 tasks are for domains with no spec under" in r.stderr and "library" in r.stderr



def test_state_options_need_one_domain(build, two_domains, tmp_path):
    folder, tasks = two_domains
    r = ascc("replay", folder, tasks, "--build-dir", build, "--init-state", tmp_path)
    assert r.returncode == 2 and "describe one domain's tables" in r.stderr


def test_tasks_with_nothing_to_compare_are_not_counted_as_passed(build):
    r = ascc("replay", SPEC, TASKS / "shop_mismatch.jsonl", "--build-dir", build)
    assert "2 tasks: 0 passed, 1 failed, 1 with nothing to compare" in r.stdout


def test_shell_and_serve_take_one_spec_file(build):
    r = ascc("shell", ROOT / "specs", "--build-dir", build)
    assert r.returncode == 1 and "is a folder; this command takes one spec file" in r.stderr
