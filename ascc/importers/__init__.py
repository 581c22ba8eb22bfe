"""Importers: bring other benchmarks' data and tasks into ascc (`ascc import ...`)."""
