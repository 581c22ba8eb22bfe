"""The seeded initial state written as one Parquet file per entity, typed by the schema through Arrow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ascc.compiler.ir import Domain
from ascc.compiler.types import Type


def arrow_type(t: Type, domain: Domain) -> pa.DataType:
    k = t.kind
    if k in ("json", "union"):
        return pa.string()  # JSON text (compiler/dynamic.py)
    simple = {"str": pa.string(), "enum": pa.string(), "int": pa.int64(), "float": pa.float64(),
              "bool": pa.bool_(), "date": pa.date32(), "datetime": pa.timestamp("us")}
    if k in simple:
        return simple[k]
    if k == "decimal":
        return pa.decimal128(t.precision, t.scale)
    if k == "list":
        return pa.list_(arrow_type(t.elem, domain))
    if k == "map":
        return pa.map_(pa.string(), arrow_type(t.elem, domain))
    fields = domain.record_fields(t)
    return pa.struct([pa.field(f.name, arrow_type(f.type, domain)) for f in fields.values()])


def to_arrow_value(v, t: Type, domain: Domain):
    """Python values → what pyarrow builds the typed column from (maps become key/value pairs)."""
    if v is None:
        return None
    if t.kind in ("json", "union"):
        from ascc.compiler.dynamic import stored_value

        return stored_value(v, t)
    if t.kind == "list":
        return [to_arrow_value(x, t.elem, domain) for x in v]
    if t.kind == "map":  # in the order written: a map keeps its entries' order
        return [(k, to_arrow_value(x, t.elem, domain)) for k, x in v.items()]
    if t.kind == "struct":
        return {f.name: to_arrow_value(v.get(f.name), f.type, domain) for f in domain.record_fields(t).values()}
    return v


def entity_table(domain: Domain, entity: str, rows: list[dict]) -> pa.Table:
    ent = domain.entities[entity]
    schema = pa.schema([pa.field(f.name, arrow_type(f.type, domain), nullable=f.type.nullable)
                        for f in ent.fields.values()])
    cols = {f.name: [to_arrow_value(r[f.name], f.type, domain) for r in rows] for f in ent.fields.values()}
    return pa.table(cols, schema=schema)


def write_state(domain: Domain, rows: dict[str, list[dict]], out: Path,
                write: Callable[[Path, bytes], None]) -> dict[str, int]:
    """One Parquet file per entity, each handed to `write` (the compiler's atomic write) as bytes."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for entity, entity_rows in rows.items():
        key = domain.entities[entity].key
        ordered = sorted(entity_rows, key=lambda r: r[key])
        sink = pa.BufferOutputStream()
        pq.write_table(entity_table(domain, entity, ordered), sink,
                       compression="zstd", write_statistics=False, store_schema=False)
        write(out / f"{entity}.parquet", sink.getvalue().to_pybytes())
        counts[entity] = len(ordered)
    return counts
