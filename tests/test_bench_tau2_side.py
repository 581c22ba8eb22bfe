"""benchmarks/bench_tau2_side.py without τ²-bench installed, and its airline db padded to τ²'s scale."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_tau2_side", ROOT / "benchmarks" / "bench_tau2_side.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_without_tau2_it_says_so_and_skips(tmp_path, capsys):
    assert _bench().main(["--work", str(tmp_path)]) is None
    out = capsys.readouterr().out
    assert out.startswith("skipped: τ²-bench is not installed") and "--setup --tau2-src PATH" in out


def test_padded_airline_keeps_the_fixture_and_reaches_tau2_scale(tmp_path):
    folder = _bench().padded_airline(tmp_path / "airline")
    db = json.loads((folder / "db.json").read_text())
    fixture = json.loads((ROOT / "tests" / "fixtures" / "tau2" / "airline" / "db.json").read_text())
    assert [len(db[k]) for k in ("flights", "users", "reservations")] == [300, 500, 2000]
    for k, records in fixture.items():
        assert all(db[k][key] == rec for key, rec in records.items())
    for rid, r in db["reservations"].items():
        u = db["users"][r["user_id"]]
        assert rid in u["reservations"] and all(p["payment_id"] in u["payment_methods"] for p in r["payment_history"])
    assert (folder / "tasks.json").read_text() == (ROOT / "tests" / "fixtures" / "tau2" / "airline" / "tasks.json").read_text()


def test_airline_db_assembled_from_tau_bench_v1_is_tau2s_shape(tmp_path):
    """τ-bench v1 keys users by id without a `user_id` field; the assembled db.json is τ²'s shape (here: the
    fixture's own db back from its v1 form) and says where it came from."""
    bench = _bench()
    fixture = json.loads((ROOT / "tests" / "fixtures" / "tau2" / "airline" / "db.json").read_text())
    data = tmp_path / "tau-bench" / bench.TAU_BENCH_AIRLINE
    data.mkdir(parents=True)
    v1 = {**fixture, "users": {uid: {k: v for k, v in u.items() if k != "user_id"} for uid, u in fixture["users"].items()}}
    for name, records in v1.items():
        (data / f"{name}.json").write_text(json.dumps(records))
    origin = bench.airline_from_tau_bench(tmp_path / "tau-bench", tmp_path / "airline")
    assert json.loads((tmp_path / "airline" / "db.json").read_text()) == fixture
    assert json.loads((tmp_path / "airline" / bench.ORIGIN).read_text()) == origin
    assert origin["source"].startswith("τ-bench v1") and origin["users"] == len(fixture["users"])
