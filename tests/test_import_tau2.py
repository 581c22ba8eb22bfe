"""`ascc import tau2`: τ²-bench's domain data and tasks (small fixtures in τ²'s own formats under
tests/fixtures/tau2/<domain>/) into an ascc spec with seed files and a task file; the imported spec compiles,
`ascc replay` passes on the converted tasks, the report lists what could not be converted, and one gold call per
domain has the effect τ² gives it (docs/design/tau2-reference.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ascc.importers.tau2 import detect_domain, domain_folders, import_tau2
from ascc.runtime.domain import compile_and_load
from ascc.runtime.env import Environment
from ascc.runtime.tasks import load_tasks

FIXTURES = Path(__file__).parent / "fixtures" / "tau2"
ROOT = Path(__file__).parent.parent
ASCC = [sys.executable, "-c", "from ascc.cli import main; main()"]


def imported(tmp_path_factory, domain: str, **kw):
    out = tmp_path_factory.mktemp(f"tau2_{domain}")
    [report] = import_tau2(FIXTURES / domain, out, domain, **kw)
    return out, report


def replay(out: Path, domain: str) -> subprocess.CompletedProcess:
    return subprocess.run([*ASCC, "replay", str(out / f"{domain}.env.yaml"), str(out / domain / "tasks.jsonl"),
                           "--build-dir", str(out / "build"), "--out", str(out / "replay.json")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def gold_env(out: Path, domain: str, task_id: str) -> Environment:
    """An environment of the imported domain after the task's setup and gold calls."""
    d = compile_and_load(out / f"{domain}.env.yaml", out / "build")
    task = next(t for t in load_tasks(out / domain / "tasks.jsonl") if t.id == task_id)
    env = Environment(d)
    env.reset(**task.initial_state.reset_kwargs())
    for c in task.gold_calls:
        r = env.call(c.tool, c.arguments)
        assert r.ok, r.content
    assert env.digest() == task.gold_digest
    return env


def row(env: Environment, entity: str, key: str) -> dict:
    k = env.domain.info.entities[entity].key
    return next(r for r in env.rows(entity) if r[k] == key)


@pytest.fixture(scope="module")
def airline(tmp_path_factory):
    return imported(tmp_path_factory, "airline")


@pytest.fixture(scope="module")
def telecom(tmp_path_factory):
    return imported(tmp_path_factory, "telecom")


# ---- airline ----------------------------------------------------------------------------------------------

def test_airline_outputs_and_report(airline):
    out, report = airline
    spec = (out / "airline.env.yaml").read_text(encoding="utf-8")
    assert "flight: airline/data/flight.jsonl" in spec and "generate:" not in spec.split("\nseed:")[1]
    assert sorted(p.name for p in (out / "airline" / "data").iterdir()) == [
        "flight.jsonl", "reservation.jsonl", "user.jsonl"]
    saved = json.loads((out / "airline" / "import_report.json").read_text(encoding="utf-8"))
    assert saved["summary"] == {"records_read": 10, "records_converted": 8, "records_skipped": 2,
                                "tasks_read": 7, "tasks_converted": 6, "tasks_skipped": 1,
                                "task_kinds": {"write": 4, "refusal": 1, "read": 1}}
    skipped = {(r["entity"], r["key"]): r["reason"] for r in saved["skipped_records"]}
    assert "`phone_number` has no place" in skipped[("user", "omar_rossi_1241")]
    assert "names no imported `user`" in skipped[("reservation", "Z9ZZ99")]  # its owner was left out
    assert [(t["id"], "initialization_data" in t["reason"]) for t in saved["skipped_tasks"]] == [("6", True)]
    # τ² drops unknown keys of list elements (pydantic); the importer does the same, and says so
    assert any(w["id"] == "5" and "flights[0].origin" in w["warning"] for w in saved["task_warnings"])
    assert saved["notes"]


def test_airline_tasks_replay(airline):
    out, _ = airline
    r = replay(out, "airline")
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads((out / "replay.json").read_text(encoding="utf-8"))
    assert rep["summary"]["tasks"] == 6 and rep["summary"]["matched"] == 6
    tasks = {t.id: t for t in load_tasks(out / "airline" / "tasks.jsonl")}
    assert {i: t.kind for i, t in tasks.items()} == {"0": "write", "1": "write", "2": "write", "3": "refusal",
                                                     "4": "read", "5": "write"}
    t2 = tasks["2"]
    assert t2.user["facts"] == ["50"] and t2.user["tau2"]["id"] == "2"
    assert t2.user["instructions"].startswith("Domain: airline\nReason for call: You want to add one checked bag")
    assert t2.user["request"] == "You want to add one checked bag to reservation NO6JO3."
    assert tasks["4"].user["instructions"].startswith("You are Sophia Silva")  # a plain-string scenario
    assert tasks["5"].gold_digest == tasks["0"].gold_digest  # the same booking once the extra keys are dropped


def test_airline_book_with_certificate_as_tau2(airline):
    """τ² task-8 style booking (reference §4.3.1, §4.4): HATHAT, the certificate removed whole, seats taken."""
    out, _ = airline
    with gold_env(out, "airline", "0") as env:
        user = row(env, "user", "sophia_silva_7557")
        assert "certificate_8045380" not in user["payment_methods"]
        assert user["payment_methods"]["gift_card_5094406"]["amount"] == 50.0
        assert user["reservations"] == ["WUNA5K", "NM1VX1", "HATHAT"]
        res = row(env, "reservation", "HATHAT")
        assert [(f["flight_number"], f["date"], f["price"], f["origin"]) for f in res["flights"]] == [
            ("HAT271", "2024-05-26", 174, "ORD")]
        assert res["payment_history"] == [{"payment_id": "certificate_8045380", "amount": 348}]
        assert str(res["created_at"]) == "2024-05-15 15:00:00" and res["status"] is None
        seats = row(env, "flight", "HAT271")["dates"]["2024-05-26"]["available_seats"]
        assert seats == {"basic_economy": 9, "economy": 3, "business": 3}


def test_airline_bags_and_cancel_as_tau2(airline):
    out, _ = airline
    with gold_env(out, "airline", "2") as env:  # §4.3.8: 50 per extra paid bag, from the gift card
        assert row(env, "user", "mia_li_3668")["payment_methods"]["gift_card_2011225"]["amount"] == 200.0
        res = row(env, "reservation", "NO6JO3")
        assert res["payment_history"][-1] == {"payment_id": "gift_card_2011225", "amount": 50}
        assert (res["total_baggages"], res["nonfree_baggages"]) == (2, 1)
    with gold_env(out, "airline", "1") as env:  # §4.3.3: every payment reversed, no seat release
        res = row(env, "reservation", "NM1VX1")
        assert res["status"] == "cancelled"
        assert [p["amount"] for p in res["payment_history"]] == [830, -830]


# ---- telecom ----------------------------------------------------------------------------------------------

def test_telecom_report(telecom):
    out, report = telecom
    assert report.records["device"] == {"read": 4, "converted": 3, "skipped": 1}
    assert [(r["entity"], r["key"]) for r in report.skipped_records] == [("device", "D1099")]
    assert "expected one of" in report.skipped_records[0]["reason"]
    assert [u["collection"] for u in report.unmapped] == ["phone_number_aliases"]
    [skipped] = report.skipped_tasks
    assert skipped["id"].startswith("[service_issue]esim_profile_deleted")
    assert "`delete_esim_profile` (user side): no such tool" in skipped["reason"]
    assert "`reinstall_esim_profile` (user side): no such tool" in skipped["reason"]
    assert report.kinds == {"write": 3, "refusal": 1}
    assert any("overdue_bill" in w["id"] and "does not sync" in w["warning"] for w in report.task_warnings)
    # TOML dates came through as dates
    bills = [json.loads(x) for x in (out / "telecom" / "data" / "bill.jsonl").read_text().splitlines()]
    assert bills[2]["period_start"] == "2025-03-01"


def test_telecom_tasks_replay(telecom):
    out, _ = telecom
    r = replay(out, "telecom")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads((out / "replay.json").read_text(encoding="utf-8"))["summary"]["matched"] == 4
    tasks = {t.id: t for t in load_tasks(out / "telecom" / "tasks.jsonl")}
    roaming = tasks["[mobile_data_issue]user_abroad_roaming_enabled_off[PERSONA:None]"]
    assert [c.tool for c in roaming.initial_state.setup] == ["set_user_info", "set_user_location",
                                                             "turn_roaming_off", "enable_roaming"]
    assert [c.tool for c in roaming.gold_calls] == ["toggle_roaming"]  # τ²'s user-side action
    assert roaming.user["tau2"]["evaluation_criteria"]["env_assertions"][0]["func_name"] == "assert_mobile_data_status"


def test_telecom_refuel_as_tau2(telecom):
    """§5.3 refuel_data: 2.0 GB at P1002's $2/GB onto C1001's Draft bill B1003, dated today."""
    out, _ = telecom
    with gold_env(out, "telecom", "[mobile_data_issue]data_usage_exceeded[PERSONA:None]") as env:
        line = row(env, "line", "L1002")
        assert (line["data_used_gb"], line["data_refueling_gb"]) == (15.1, 2.0)
        bill = row(env, "bill", "B1003")
        assert bill["total_due"] == 4.0 and bill["status"] == "Draft"
        assert [(i["description"], i["amount"], str(i["date"]), i["item_type"]) for i in bill["line_items"]] == [
            ("Data refueling: 2.0 GB at $2.0/GB", 4.0, "2025-02-25", "Charge")]
        assert row(env, "surroundings", "user")["mobile_data_usage_exceeded"] is False


def test_telecom_overdue_bill_paid(telecom):
    out, _ = telecom
    with gold_env(out, "telecom", "[service_issue]overdue_bill_suspension[PERSONA:None]") as env:
        assert row(env, "bill", "B1234321")["status"] == "Paid"
        assert row(env, "line", "L1002")["status"] == "Active"
        assert row(env, "phone", "phone")["network_connection_status"] == "connected"


def test_env_assertion_that_fails_leaves_the_task_out(tmp_path):
    src = tmp_path / "telecom"
    shutil.copytree(FIXTURES / "telecom", src)
    tasks = json.loads((src / "tasks.json").read_text(encoding="utf-8"))
    tasks[0]["evaluation_criteria"]["env_assertions"][0]["assert_value"] = False  # data works after the fix
    (src / "tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    [rep] = import_tau2(src, tmp_path / "out", "telecom")
    reasons = {t["id"]: t["reason"] for t in rep.skipped_tasks}
    assert "env assertion `assert_mobile_data_status`" in reasons[tasks[0]["id"]]
    assert rep.tasks_converted == 3
    [rep] = import_tau2(src, tmp_path / "kept", "telecom", keep_failing=True)
    assert rep.tasks_converted == 4 and len(rep.skipped_tasks) == 1  # the eSIM task still cannot be expressed
    assert any(w["warning"].startswith("kept although") for w in rep.task_warnings)


# ---- retail -----------------------------------------------------------------------------------------------

needs_retail = pytest.mark.skipif(not (ROOT / "specs" / "retail.env.yaml").is_file(), reason="no retail spec")


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    return imported(tmp_path_factory, "retail")


@needs_retail
def test_retail_report_and_replay(retail):
    out, report = retail
    assert report.records == {"product": {"read": 3, "converted": 3, "skipped": 0},
                              "user": {"read": 2, "converted": 2, "skipped": 0},
                              "order": {"read": 5, "converted": 4, "skipped": 1}}
    [rec] = report.skipped_records
    assert (rec["entity"], rec["key"]) == ("order", "#W12345") and "does not match the pattern" in rec["reason"]
    [task] = report.skipped_tasks  # its task cancels the order that could not be imported
    assert task["id"] == "4" and "refused in ascc (precondition): Order not found" in task["reason"]
    assert report.kinds == {"write": 3, "read": 1}
    r = replay(out, "retail")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads((out / "replay.json").read_text(encoding="utf-8"))["summary"]["matched"] == 4


@needs_retail
def test_retail_exchange_as_tau2(retail):
    """§3.3.3: status, both lists sorted on their own, the price difference rounded; items and payments kept."""
    out, _ = retail
    with gold_env(out, "retail", "0") as env:
        order = row(env, "order", "#W2378156")
        assert order["status"] == "exchange requested"
        assert order["exchange_items"] == ["1151293680", "4983901480"]
        assert order["exchange_new_items"] == ["7706410293", "7747408585"]
        diff = 0
        diff += 269.16 - 272.33
        diff += 249.01 - 262.47
        assert order["exchange_price_difference"] == round(diff, 2) == -16.63
        assert order["exchange_payment_method_id"] == "credit_card_9513926"
        assert [i["item_id"] for i in order["items"]] == ["1151293680", "4983901480", "9612497925"]
        assert len(order["payment_history"]) == 1


@needs_retail
def test_retail_modify_items_keeps_tau2s_bug(retail):
    """§3.3.8: every modified item takes the *last* pair's variant; the payment is the unrounded difference."""
    out, _ = retail
    with gold_env(out, "retail", "1") as env:
        order = row(env, "order", "#W4776164")
        assert order["status"] == "pending (item modified)"
        white_l = {"color": "white", "size": "L", "material": "cotton", "style": "crew neck"}
        assert [(i["item_id"], i["price"], i["options"]) for i in order["items"]] == [
            ("9612497925", 53.27, white_l), ("3799046073", 53.27, white_l)]
        diff = 0
        diff += 50.88 - 49.67
        diff += 53.27 - 49.52
        assert order["payment_history"][-1] == {"transaction_type": "payment", "amount": abs(diff),
                                                "payment_method_id": "credit_card_9513926"}


@needs_retail
def test_retail_cancel_refunds_gift_card(retail):
    out, _ = retail
    with gold_env(out, "retail", "2") as env:
        order = row(env, "order", "#W6390527")
        assert (order["status"], order["cancel_reason"]) == ("cancelled", "no longer needed")
        assert order["payment_history"][-1] == {"transaction_type": "refund", "amount": 249.01,
                                                "payment_method_id": "gift_card_1133700"}
        gift = row(env, "user", "mei_kovacs_8020")["payment_methods"]["gift_card_1133700"]
        assert gift["balance"] == round(79.0 + 249.01, 2)


# ---- command line and detection ---------------------------------------------------------------------------

def test_detect_domain():
    assert detect_domain(FIXTURES / "airline") == "airline"
    assert detect_domain(FIXTURES / "telecom") == "telecom"
    assert detect_domain(FIXTURES / "retail") == "retail"
    assert [p.name for p in domain_folders(FIXTURES)] == ["airline", "retail", "telecom"]
    assert domain_folders(FIXTURES / "airline") == [FIXTURES / "airline"]


def test_cli(tmp_path):
    r = subprocess.run([*ASCC, "import", "tau2", str(FIXTURES / "telecom"), "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "left-out tasks (1)" in r.stdout and "esim_profile_deleted" in r.stdout
    assert (tmp_path / "telecom.env.yaml").is_file() and (tmp_path / "telecom" / "tasks.jsonl").is_file()
    r = subprocess.run([*ASCC, "import", "tau2", str(FIXTURES / "telecom"), "--out", str(tmp_path), "--strict"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1
    r = subprocess.run([*ASCC, "import", "tau2", str(tmp_path), "--out", str(tmp_path / "x")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and "no db.json/db.toml" in r.stderr
