"""docs/domains.md is the catalogue of specs/, and the library meets the general-domain acceptance criteria."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascc.catalog import DOC, collect, domain_table, render

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def infos(library_build):
    return collect([ROOT / "specs"], library_build)


def test_domains_md_is_up_to_date(infos):
    assert DOC.read_text(encoding="utf-8") == render(infos), (
        "docs/domains.md is out of date: run `python -m ascc.catalog specs/ --write`")


def test_domain_table_reads_build_dirs(tmp_path):
    from ascc.compiler.build import compile_file

    r = compile_file(ROOT / "specs" / "library.env.yaml", tmp_path)
    table = domain_table([r.out_dir], {"library": "core"})
    line = next(x for x in table.splitlines() if x.startswith("| `library`"))
    assert "| core | 11 | 7 | 64% |" in line and "maps" in line and "SQL tools (1)" in line


def test_general_domains_meet_the_acceptance_criteria(infos):
    general = [i for i in infos if i.group == "general"]
    small = [f"{i.name} ({i.tools} tools)" for i in general if not 8 <= i.tools <= 20]
    few_writes = [f"{i.name} ({i.write_share:.0%})" for i in general if i.write_share < 0.4]
    assert not small, f"general domains need 8-20 tools: {small}"
    assert not few_writes, f"general domains need at least 40% write tools: {few_writes}"
    assert len(general) >= 30, f"the library needs at least 30 general domains, has {len(general)}"
    assert sum(i.tools for i in infos) >= 500, f"the library needs at least 500 tools, has {sum(i.tools for i in infos)}"
