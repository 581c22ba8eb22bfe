"""The runtime: compiled domains executing over DuckDB."""
