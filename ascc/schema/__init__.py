"""The JSON Schema of `*.env.yaml` spec files, for editors and YAML language servers."""

from __future__ import annotations

from pathlib import Path

__all__ = ["schema_path"]


def schema_path() -> Path:
    """The path of `env.schema.json` (JSON Schema draft 2020-12 of the spec file format)."""
    return Path(__file__).with_name("env.schema.json")
