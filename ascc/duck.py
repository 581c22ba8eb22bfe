"""DuckDB connections as ascc opens them: in memory, one thread, and sandboxed from the start.

The sandbox is in force before the first statement runs, generated `schema.sql` included: no file or network
access, no extension installed or loaded behind the caller's back. Compiler and runtime both open their
connections here.
"""

from __future__ import annotations

import duckdb

SANDBOX = {
    "threads": 1,
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def sandboxed() -> duckdb.DuckDBPyConnection:
    """A new in-memory database that cannot reach files, the network or extensions."""
    return duckdb.connect(":memory:", config=dict(SANDBOX))
