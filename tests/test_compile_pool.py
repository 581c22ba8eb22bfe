"""`compile_many` with worker processes, called from a process that already runs DuckDB.

`ascc eval`, a notebook or a test session opens environments first and compiles later. Workers forked from
such a process inherited DuckDB's threads and locks and hung (or died) as soon as they used DuckDB themselves;
the pool now forks from a clean fork server.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import sys, tempfile
    from pathlib import Path
    from ascc.compiler.build import compile_file
    from ascc.compiler.driver import compile_many
    from ascc.runtime.domain import load_domain
    from ascc.runtime.env import Environment

    def main():
        root = Path(sys.argv[1])
        r = compile_file(root / "specs" / "shop.env.yaml", Path(tempfile.mkdtemp()))
        env = Environment(load_domain(str(r.out_dir)))  # DuckDB running in this process
        env.call("get_order", {"order_id": "#W0000001"})
        specs = sorted((root / "specs").glob("**/*.env.yaml"))
        results = compile_many(specs, Path(tempfile.mkdtemp()), force=True, jobs=2)
        print(sum(x.ok for x in results), len(results))

    if __name__ == "__main__":
        main()
""")


def test_pool_compiles_after_duckdb_ran_in_the_caller(tmp_path):
    script = tmp_path / "compile_after_env.py"
    script.write_text(SCRIPT)
    p = subprocess.run([sys.executable, str(script), str(ROOT)], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-2000:]
    ok, total = map(int, p.stdout.split())
    assert total >= 30 and ok == total
