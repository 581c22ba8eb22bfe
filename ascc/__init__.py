"""ascc: the environment compiler for agent training.

A domain is written as a `.env.yaml` spec; `ascc compile` turns it into DuckDB schemas, a generated Python
tool module, OpenAI tool schemas and a tool dependency graph; the runtime executes those tools over DuckDB.
"""

__version__ = "0.1.0"
