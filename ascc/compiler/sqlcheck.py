"""`sql:` tools: one statement, parsed and checked by sqlglot against the domain's schema at compile time.

Only the domain's tables may be read or written; `$name` placeholders must name the tool's parameters or named
values and are bound by DuckDB at run time. Table functions (file readers and the like) are refused here, and
the runtime also turns DuckDB's external access off. sqlglot accepts some SQL that DuckDB does not (a column
named after a reserved word, written unquoted: `SELECT group FROM "group"`), so a statement that passed every
other check is also prepared by DuckDB itself against the domain's schema: what DuckDB refuses is a compile-time
error, never a failing call.
"""

from __future__ import annotations

import functools
import re

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.qualify import qualify

from ascc.compiler.ddl import domain_ddl, sql_type
from ascc.compiler.ir import Domain, SqlQuery, Tool
from ascc.compiler.scope import Scope
from ascc.diagnostics import DiagnosticBag, Span, did_you_mean
from ascc.dsl.yamlnodes import YScalar
from ascc.duck import sandboxed

_WRITES = (exp.Update, exp.Insert, exp.Delete)
_FORBIDDEN_FUNCS = re.compile(r"^(read_|glob|getenv|.*_scan$|sniff_|parquet_|duckdb_|pragma_|query|current_setting)", re.I)


def _span_at(node: YScalar, start: int, end: int) -> Span:
    text = node.value
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    rel = Span(node.span.file, line, col, line, col + max(1, end - start + 1))
    return rel.shifted(node.text_line, node.text_col, node.style in ("|", ">"))


def _meta_span(node: YScalar, e: exp.Expression) -> Span:
    m = getattr(e, "meta", None) or getattr(getattr(e, "this", None), "meta", None) or {}
    if "start" in m and "end" in m:
        return _span_at(node, m["start"], m["end"])
    return node.span


def _syntax_error(err: ParseError, node: YScalar, domain: Domain):
    """E301 at the token sqlglot stopped on, in words rather than sqlglot's internal class names."""
    from ascc.diagnostics import Diagnostic

    e = err.errors[0] if err.errors else {}
    before, token = e.get("start_context") or "", e.get("highlight") or ""
    at = node.value.find(before + token) if before or token else -1
    span = _span_at(node, at + len(before), at + len(before) + max(len(token), 1) - 1) if at >= 0 else node.span
    desc = str(e.get("description", err)).split("<Token")[0].strip().removesuffix(" but got")
    desc = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", lambda m: f"`{m.group(1).upper()}`", desc)
    message = f"invalid SQL near `{token.strip()}`" if token.strip() else "invalid SQL"
    word = token.strip().lower()
    named = word in domain.entities or any(word in e.fields for e in domain.entities.values())
    help_ = f'`{word}` is a SQL keyword: write the name in double quotes, `"{word}"`' if named else None
    return Diagnostic("E301", message, span, notes=(desc,) if desc else (), help=help_)


def _text_span(node: YScalar, needle: str) -> Span:
    """The first place `needle` is written in the SQL text (placeholders carry no positions in sqlglot)."""
    m = re.search(re.escape(needle) + (r"(?![A-Za-z0-9_])" if needle[-1:].isalnum() else ""), node.value)
    return _span_at(node, m.start(), m.end() - 1) if m else node.span


def check_sql(node: YScalar, tool: Tool, domain: Domain, scope: Scope, bag: DiagnosticBag) -> SqlQuery | None:
    text = node.value.strip().rstrip(";")
    try:
        # parse the text as written, so offsets in sqlglot's errors and nodes are offsets into the YAML value
        statements = [s for s in sqlglot.parse(node.value, read="duckdb") if s is not None]
    except ParseError as err:
        bag.add(_syntax_error(err, node, domain))
        return None
    if len(statements) != 1:
        bag.error("E302", "`sql:` holds exactly one statement", node.span)
        return None
    stmt = statements[0]
    is_select = isinstance(stmt, (exp.Select, exp.Union, exp.Intersect, exp.Except))
    if not is_select and not isinstance(stmt, _WRITES):
        bag.error("E303", f"`sql:` may hold SELECT, INSERT, UPDATE or DELETE, not {stmt.key.upper()}", node.span)
        return None
    if not is_select and tool.kind != "write":
        bag.error("E304", f"`{tool.name}` changes data with SQL but is `kind: {tool.kind}`", node.span,
                  help="declare it `kind: write`")
    ok = _check_sources(stmt, node, domain, bag)
    before = len(bag)
    params = _check_placeholders(stmt, node, tool, scope, bag)
    params_bad = len(bag) > before
    if ok and _check_columns(stmt, node, domain, bag) and _check_returning(stmt, node, domain, bag) \
            and not params_bad:
        if _check_param_shapes(stmt, node, _param_types(params, tool, scope), domain, bag):
            _check_in_duckdb(text, stmt, node, domain, bag)
    _check_clock(stmt, node, bag)
    tables = sorted({t.name for t in stmt.find_all(exp.Table) if t.name in domain.entities})
    returning = not is_select and stmt.args.get("returning") is not None
    return SqlQuery(text, params, is_select, tables, returning)


_DB_CLOCK = (exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentTime, exp.CurrentDatetime)


def _check_clock(stmt, node: YScalar, bag) -> None:
    """SQL's own clock is the machine's: a task's 'today' comes from the environment clock instead."""
    clock = [f for f in stmt.find_all(*_DB_CLOCK)]
    clock += [f for f in stmt.find_all(exp.Anonymous) if f.name.lower() in ("now", "today", "get_current_time")]
    if clock:
        words = clock[0].name if isinstance(clock[0], exp.Anonymous) else clock[0].sql("duckdb").split("(")[0]
        m = re.search(re.escape(words), node.value, re.I)
        span = _span_at(node, m.start(), m.end() - 1) if m else node.span
        bag.warning("W313", "this SQL reads the machine's clock, not the domain's", span,
                    help="bind the environment clock instead: `let: {today: today()}` and `$today` in the SQL")


def _check_sources(stmt, node, domain: Domain, bag) -> bool:
    ctes = {c.alias_or_name for c in stmt.find_all(exp.CTE)}
    ok = True
    for f in stmt.find_all(exp.Func):
        name = f.sql_name() if not isinstance(f, exp.Anonymous) else f.name
        if _FORBIDDEN_FUNCS.match(name or ""):
            bag.error("E305", f"`{name}` reaches outside the domain's tables", _meta_span(node, f))
            ok = False
    for t in stmt.find_all(exp.Table):
        if not isinstance(t.this, exp.Identifier):
            if ok:  # a forbidden table function was already reported at the same place
                bag.error("E305", "only the domain's tables may be read", _meta_span(node, t))
            ok = False
        elif t.name not in domain.entities and t.name not in ctes:
            bag.error("E306", f"unknown table `{t.name}`", _meta_span(node, t.this),
                      help=did_you_mean(t.name, domain.entities))
            ok = False
        elif t.args.get("db") or t.args.get("catalog"):
            bag.error("E305", "tables are named without a schema or database", _meta_span(node, t))
            ok = False
    return ok


def _check_placeholders(stmt, node, tool: Tool, scope: Scope, bag) -> list[str]:
    params = {p.name: p for p in tool.params}
    out: list[str] = []
    for ph in stmt.find_all(exp.Placeholder):
        name = ph.name
        if not name or name == "?":
            bag.error("E307", "use named parameters (`$name`), not `?`", _text_span(node, "?"))
            continue
        b = scope.lookup(name)
        t = params[name].type if name in params else b.type if b is not None and b.kind == "local" else None
        if t is None:
            bag.error("E308", f"unknown parameter `${name}` in SQL", _text_span(node, "$" + name),
                      help=did_you_mean(name, set(params) | scope.visible()))
        elif t.is_record:
            bag.error("E309", f"`${name}` is a {t}; SQL takes plain values", _text_span(node, "$" + name))
        elif name not in out:
            out.append(name)
    return out


def _check_columns(stmt, node, domain: Domain, bag) -> bool:
    """False when a column or the statement's shape does not fit the schema (reported)."""
    schema = {e.name: {f.name: sql_type(f.type, domain) for f in e.fields.values()} for e in domain.entities.values()}
    try:
        qualify(stmt.copy(), schema=schema, dialect="duckdb", validate_qualify_columns=True,
                identify=False, quote_identifiers=False)
    except OptimizeError as err:
        msg = str(err)
        m = re.match(r"Column '(.+?)' could not be resolved", msg)
        if m:
            col = next((c for c in stmt.find_all(exp.Column) if c.name == m.group(1)), None)
            known = {f for cols in schema.values() for f in cols}
            bag.error("E310", f"unknown column `{m.group(1)}`", _meta_span(node, col) if col else node.span,
                      help=did_you_mean(m.group(1), known))
        else:
            bag.error("E311", f"SQL does not fit the schema: {msg.split('. Line')[0]}", node.span)
        return False
    except Exception as err:  # sqlglot's optimizer raises assorted errors on unusual SQL
        bag.warning("W312", f"the SQL could not be fully checked: {err}", node.span)
    return True


def _param_types(names: list[str], tool: Tool, scope: Scope) -> dict:
    params = {p.name: p.type for p in tool.params}
    return {n: params[n] if n in params else scope.lookup(n).type for n in names}


# operators whose two sides DuckDB takes as values of one type: a list on one side needs a list on the other
_SAME_TYPE_OPS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.Add, exp.Sub,
                  exp.Mul, exp.Div, exp.Mod, exp.NullSafeEQ, exp.NullSafeNEQ)


def _check_param_shapes(stmt, node: YScalar, types: dict, domain: Domain, bag) -> bool:
    """E316: a `$param` compared with (or added to) a value of the other shape: a list with a single value, or a
    single value with a list column. DuckDB binds parameters only when the call runs, so PREPARE cannot see this;
    every call would fail. False when reported."""
    schema = {e.name: {f.name: sql_type(f.type, domain) for f in e.fields.values()} for e in domain.entities.values()}
    try:
        from sqlglot.optimizer.annotate_types import annotate_types

        typed = annotate_types(qualify(stmt.copy(), schema=schema, dialect="duckdb", identify=False,
                                       quote_identifiers=False), schema=schema)
    except Exception:  # unusual SQL: left to DuckDB's own check
        return True
    for ph in typed.find_all(exp.Placeholder):
        t = types.get(ph.name)
        side, op = ph, ph.parent
        while isinstance(op, exp.Paren):
            side, op = op, op.parent
        if t is None or not isinstance(op, _SAME_TYPE_OPS):
            continue
        other = op.right if op.left is side else op.left
        other_list = _is_nested(other, types)
        mine = t.nonnull().kind in ("list", "map")
        if other_list is None or mine == other_list:
            continue
        shown = other.name if isinstance(other, exp.Column) else other.sql(dialect="duckdb")
        what = f"the list `{shown}`" if other_list else f"the single value `{shown}`"
        verb = "compared with" if isinstance(op, exp.Predicate) else "combined with"
        lst, one = (f"${ph.name}", shown) if mine else (shown, f"${ph.name}")
        bag.error("E316", f"`${ph.name}` is {t}, {verb} {what}", _text_span(node, "$" + ph.name),
                  help=f"to test membership write `list_contains({lst}, {one})`" if verb == "compared with" else None)
        return False
    return True


def _is_nested(e, types: dict) -> bool | None:
    """Whether an SQL operand is a list or map (True), a single value (False), or not known (None)."""
    while isinstance(e, exp.Paren):
        e = e.this
    if isinstance(e, exp.Placeholder):
        t = types.get(e.name)
        return None if t is None else t.nonnull().kind in ("list", "map")
    if isinstance(e, exp.Literal):
        return False
    dtype = getattr(e, "type", None)
    if dtype is None or dtype.is_type(exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
        return None
    return dtype.is_type(exp.DataType.Type.ARRAY, exp.DataType.Type.LIST, exp.DataType.Type.MAP)


def _check_returning(stmt, node, domain: Domain, bag) -> bool:
    """E310 for a column of `RETURNING` that the written table lacks: DuckDB's PREPARE does not bind RETURNING,
    and neither does the qualifier above, so such a tool would compile and then fail on every call."""
    returning = stmt.args.get("returning")
    target = stmt.find(exp.Table)
    if returning is None or target is None or target.name not in domain.entities:
        return True
    fields = set(domain.entities[target.name].fields)
    for col in returning.find_all(exp.Column):
        if col.name not in fields:
            bag.error("E310", f"unknown column `{col.name}` in `RETURNING` (table `{target.name}`)",
                      _meta_span(node, col), help=did_you_mean(col.name, fields))
            return False
    return True


@functools.lru_cache(maxsize=8)
def _schema_db(ddl: str) -> duckdb.DuckDBPyConnection:
    """An empty database with the domain's tables, to prepare statements against (one per schema text)."""
    con = sandboxed()
    con.execute(ddl)
    return con


@functools.cache
def reserved_words() -> frozenset[str]:
    """DuckDB's reserved keywords: names that must be written in double quotes in SQL."""
    rows = duckdb.sql("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'").fetchall()
    return frozenset(r[0] for r in rows)


def _check_in_duckdb(text: str, stmt, node: YScalar, domain: Domain, bag) -> None:
    """E314/E315: DuckDB prepares (parses and binds, runs nothing) the statement as the runtime will run it."""
    try:
        con = _schema_db(domain_ddl(domain))
    except Exception:  # an entity whose types did not resolve: reported where the entities are checked
        return
    try:
        con.execute("PREPARE _ascc_check AS\n" + text)  # on its own line: DuckDB's LINE n is the text's n - 1
    except duckdb.Error as err:
        word = _unquoted_reserved(stmt, node)
        if word is not None:
            bag.error("E314", f"`{word.name}` is a reserved word in DuckDB SQL", _meta_span(node, word),
                      help=f'write the name in double quotes: `"{word.name}"`')
        else:
            bag.error("E315", "DuckDB refuses this SQL", _duckdb_span(str(err), text, node),
                      notes=(str(err).splitlines()[0],))
        return
    con.execute("DEALLOCATE PREPARE _ascc_check")


def _duckdb_span(message: str, text: str, node: YScalar) -> Span:
    """Where DuckDB's `LINE n: …` excerpt and its carets point in the statement, else the whole `sql:` value."""
    m = re.search(r"^LINE (\d+): (.*)\n( *)(\^+)", message, re.M)
    if m is None or int(m.group(1)) < 2:
        return node.span
    excerpt, col = m.group(2), len(m.group(3)) - len(f"LINE {m.group(1)}: ")
    if excerpt.startswith("..."):
        excerpt, col = excerpt[3:], col - 3
    lines = text.split("\n")
    line = lines[int(m.group(1)) - 2] if int(m.group(1)) - 2 < len(lines) else ""
    at = line.find(excerpt.removesuffix("..."))
    if at < 0 or col < 0:
        return node.span
    start = len(node.value) - len(node.value.lstrip()) + sum(len(x) + 1 for x in lines[:int(m.group(1)) - 2]) + at + col
    return _span_at(node, start, start + len(m.group(4)) - 1)


def _unquoted_reserved(stmt, node: YScalar) -> exp.Identifier | None:
    """The first name written bare that DuckDB reads as a keyword (after a `.`, as in `o.group`, it is a name)."""
    found = []
    for ident in stmt.find_all(exp.Identifier):
        start = (ident.meta or {}).get("start")
        if ident.quoted or start is None or ident.name.lower() not in reserved_words():
            continue
        if node.value[:start].rstrip().endswith("."):
            continue
        found.append((start, ident))
    return min(found, key=lambda p: p[0])[1] if found else None
