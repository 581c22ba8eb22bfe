"""`ascc import openapi --llm URL --model NAME`: a model refines a drafted domain through a constrained patch.

The model is a real OpenAI-compatible HTTP server on localhost (stdlib `http.server` in a thread, serving
/v1/chat/completions with scripted answers) and the real `openai` client talks to it; every patched spec goes
through the real compiler. Cases: an improvement accepted; a bad edit repaired after the compiler's diagnostics
went back; a model that never fixes it (the draft kept); a server that errors or times out (the draft kept, a
clear reason); hostile output (edits outside the patch format, code in preconditions and descriptions).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

pytest.importorskip("openai")

from ascc.importers.openapi.refine import RefineConfig, apply_patch, parse_patch, read_spec, refine_domain  # noqa: E402
from ascc.importers.openapi.run import dump_yaml, import_openapi  # noqa: E402
from ascc.runtime.domain import compile_and_load  # noqa: E402
from ascc.runtime.env import Environment  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "openapi"


class ScriptedModel:
    """An OpenAI-compatible server answering each chat request with the next scripted step: a string (the
    assistant's content), an int (an HTTP error status) or ("sleep", seconds, content)."""

    def __init__(self, script: list) -> None:
        self.script = list(script)
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                step = owner.script.pop(0) if owner.script else 500
                if isinstance(step, tuple):
                    time.sleep(step[1])
                    step = step[2]
                if isinstance(step, int):
                    self._send(step, {"error": {"message": "scripted failure", "type": "server_error"}})
                    return
                self._send(200, {"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": step}}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _send(self, status: int, obj: dict) -> None:
                data = json.dumps(obj).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (a timeout case)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedModel:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def config(self, **kw) -> RefineConfig:
        return RefineConfig(f"http://127.0.0.1:{self.server.server_address[1]}/v1", "scripted",
                            **{"max_retries": 0, "timeout_s": 5.0, **kw})


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    out = tmp_path_factory.mktemp("draft")
    r = import_openapi([FIX / "petstore_swagger2.json"], out)
    assert r.domains[0].compiled
    return out / "pet_store.env.yaml"


@pytest.fixture
def spec(drafted, tmp_path):
    p = tmp_path / drafted.name
    shutil.copy(drafted, p)
    return p


GOOD = {"description": "Adoption records of a pet shelter.",
        "policy": "You help visitors of the shelter. Confirm the pet's id with the user before changing it.",
        "entities": {"pet": {"description": "An animal in the shelter.", "fields": {"tag": "A short label."}}},
        "tools": {"post_pets_vaccinate": {"name": "vaccinate_pet", "description": "Record a vaccination of a pet.",
                                          "params": {"vaccine": "The vaccine given, e.g. rabies."}},
                  "delete_pet": {"requires": ['found.status != "adopted" else "An adopted pet cannot be deleted"']}}}


def test_an_improvement_is_accepted_and_runs(spec, tmp_path):
    draft = spec.read_text()
    with ScriptedModel(["Here is the patch:\n```json\n" + json.dumps(GOOD) + "\n```"]) as m:
        r = refine_domain(spec, _client(m), m.config())
    assert r.status == "accepted" and r.rounds == 1, r
    assert r.renamed == {"post_pets_vaccinate": "vaccinate_pet"}
    assert "tool delete_pet: 1 precondition added: " in "\n".join(r.changes)
    text = spec.read_text()
    assert text != draft and "  # from petstore_swagger2.json: POST /pets/{petId}/vaccinate\n  vaccinate_pet:" in text
    new = yaml.safe_load(text)
    old = yaml.safe_load(draft)
    # only what the patch format allows changed: effects, kinds, returns, seed stay as drafted
    assert new["tools"]["vaccinate_pet"]["effects"] == old["tools"]["post_pets_vaccinate"]["effects"]
    assert new["seed"] == old["seed"] and new["entities"]["pet"]["fields"]["tag"]["type"] == "str"
    env = Environment(compile_and_load(spec, tmp_path / "build"))
    env.reset()
    pid = json.loads(env.call("add_pet", {"name": "Rex"}).content)["id"]
    assert env.call("vaccinate_pet", {"pet_id": pid, "vaccine": "rabies"}).ok
    assert env.call("adopt_pet", {"pet_id": pid}).ok
    refused = env.call("delete_pet", {"pet_id": pid})
    assert not refused.ok and "An adopted pet cannot be deleted" in refused.content
    # the prompt carried the draft (without its seed rows) and the patch format
    sent = m.requests[0]["messages"]
    assert "post_pets_vaccinate:" in sent[1]["content"] and "seed:" not in sent[1]["content"]
    assert m.requests[0]["model"] == "scripted"


def _client(m: ScriptedModel, **kw):
    from ascc.importers.openapi.refine import make_client

    return make_client(m.config(**kw))


def test_a_bad_edit_is_repaired_after_the_diagnostics(spec):
    bad = {"tools": {"delete_pet": {"requires": ['found.colour != "red" else "no"']}}}
    fixed = {"tools": {"delete_pet": {"requires": ['found.status != "adopted" else "no"']}}}
    with ScriptedModel([json.dumps(bad), json.dumps(fixed)]) as m:
        r = refine_domain(spec, _client(m), m.config())
    assert r.status == "accepted" and r.rounds == 2, r
    repair = m.requests[1]["messages"][-1]["content"]
    diags = json.loads(repair[repair.index("["):repair.rindex("]") + 1])
    assert diags[0]["code"].startswith("E2") and "colour" in diags[0]["message"]
    assert "colour" in diags[0]["source_line"] and diags[0]["span"]["file"] == "spec.env.yaml"
    assert 'found.status != "adopted" else "no"' in spec.read_text()


def test_a_model_that_never_fixes_it_keeps_the_draft(spec):
    draft = spec.read_text()
    bad = json.dumps({"tools": {"delete_pet": {"requires": ["$nope == 1 else \"x\""]}}})
    with ScriptedModel([bad, "not json at all", bad]) as m:
        r = refine_domain(spec, _client(m), m.config(rounds=2))
    assert r.status == "rejected" and r.rounds == 3 and len(m.requests) == 3
    assert "no compiling patch after 3 answers; the draft is kept; last: the patched spec does not compile: E2" \
           in r.reason
    assert "not a JSON object" in m.requests[2]["messages"][-1]["content"]  # the JSON problem went back too
    assert spec.read_text() == draft


def test_a_failing_or_slow_server_keeps_the_draft(spec):
    draft = spec.read_text()
    with ScriptedModel([503]) as m:
        r = refine_domain(spec, _client(m), m.config())
    assert r.status == "failed" and "the model endpoint failed: InternalServerError 503" in r.reason
    with ScriptedModel([("sleep", 2.0, json.dumps(GOOD))]) as m:
        r = refine_domain(spec, _client(m, timeout_s=0.3), m.config(timeout_s=0.3))
    assert r.status == "failed" and "APITimeoutError" in r.reason and "the draft is kept" in r.reason
    assert spec.read_text() == draft


def test_hostile_output_stays_data_or_is_refused(spec, tmp_path):
    draft = spec.read_text()
    marker = tmp_path / "pwned"
    outside = {"tools": {"add_pet": {"effects": ["delete pet"], "kind": "read"}}, "seed": {"rows": 1},
               "domain": "evil"}
    code = {"tools": {"add_pet": {"requires": [f"__import__('os').system('touch {marker}') else \"x\""]}}}
    with ScriptedModel([json.dumps(outside), json.dumps(code), json.dumps(code)]) as m:
        r = refine_domain(spec, _client(m), m.config(rounds=2))
    assert r.status == "rejected" and spec.read_text() == draft and not marker.exists()
    refused = m.requests[1]["messages"][-1]["content"]
    for what in ("tools.add_pet.effects", "tools.add_pet.kind", "unknown key `seed`", "unknown key `domain`"):
        assert what in refused
    # text that would break out of YAML or a Python string is written as data, and the module built from it
    # only carries it
    breakout = (f'"""\'\'\'\nimport os; os.system("touch {marker}")\ntools:\n  evil: {{kind: write}}\n# \u2028x'
                "\x00")
    with ScriptedModel([json.dumps({"policy": breakout, "tools": {"add_pet": {"description": breakout}},
                                    "entities": {"pet": {"fields": {"name": breakout}}}})]) as m:
        r = refine_domain(spec, _client(m), m.config())
    assert r.status == "accepted", r
    new = yaml.safe_load(spec.read_text())
    assert set(new["tools"]) == set(yaml.safe_load(draft)["tools"])
    assert 'os.system("touch' in new["tools"]["add_pet"]["description"] and "\x00" not in spec.read_text()
    env = Environment(compile_and_load(spec, tmp_path / "build"))
    env.reset()
    assert env.call("add_pet", {"name": "Rex"}).ok
    assert not marker.exists()


def test_patch_shape_checks():
    spec, comments = read_spec(dump_yaml({"domain": "d", "tools": {"a": {"kind": "read"}, "b": {"kind": "read"}}},
                                         {"a": "from f: GET /a"}))
    assert comments == {"a": "from f: GET /a"}
    _, _, _, problems = apply_patch(spec, {"tools": {"a": {"name": "b"}}})
    assert problems[0]["message"] == "two tools would be named b"
    _, _, _, problems = apply_patch(spec, {"tools": {"a": {"name": "class"}, "zz": {}}, "policy": 3})
    assert {p["path"] for p in problems} == {"tools.a.name", "tools.zz", "policy"}
    _, _, _, problems = apply_patch(spec, {"description": "x" * 3000})
    assert "at most 2000" in problems[0]["message"]
    assert parse_patch('sure! {"policy": "p"} hope that helps') == {"policy": "p"}
    with pytest.raises(ValueError, match="JSON list"):
        parse_patch("[1]")


def test_import_report_says_what_the_model_did(tmp_path):
    with ScriptedModel([json.dumps(GOOD)]) as m:
        r = import_openapi([FIX / "petstore_swagger2.json"], tmp_path, refine=m.config())
    [d] = r.domains
    assert d.refinement["status"] == "accepted" and "tool post_pets_vaccinate renamed to vaccinate_pet" in \
        d.refinement["changes"]
    report = json.loads((tmp_path / "import_report.json").read_text())
    assert report["domains"][0]["refinement"]["status"] == "accepted"
    assert any(o["tool"] == "vaccinate_pet" for o in report["operations"])  # the report follows the rename
    with ScriptedModel([]) as m:  # every request answered 500: the draft is kept and the report says why
        r = import_openapi([FIX / "petstore_swagger2.json", FIX / "shop_oas31.yaml"], tmp_path / "b",
                           one_domain_per_api=True, refine=m.config())
    assert all(d.compiled and d.refinement["status"] == "failed" for d in r.domains)
    assert "500" in r.domains[0].refinement["reason"]


def test_cli_flags(tmp_path):
    from typer.testing import CliRunner

    from ascc.cli import _register_optional, app

    _register_optional()
    res = CliRunner().invoke(app, ["import", "openapi", str(FIX / "petstore_swagger2.json"), "--out",
                                   str(tmp_path), "--llm", "http://127.0.0.1:9/v1"])
    assert res.exit_code == 2 and "--llm and --model go together" in res.output
    with ScriptedModel([json.dumps(GOOD)]) as m:
        res = CliRunner().invoke(app, ["import", "openapi", str(FIX / "petstore_swagger2.json"), "--out",
                                       str(tmp_path), "--llm", m.config().base_url, "--model", "scripted",
                                       "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "LLM refinement: 1 accepted" in res.output and "vaccinate_pet" in res.output
