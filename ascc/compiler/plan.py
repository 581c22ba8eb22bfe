"""A tool's body as a flat plan of statements with their Python text decided; the template only lays them out.

Statement kinds (one template macro each): assign, guard, require, call, for, if, return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ascc.compiler import ir
from ascc.compiler.ir import Effect, Tool
from ascc.compiler.pyexpr import _value_literal, bare, py, py_negated
from ascc.dsl import ast


@dataclass
class Stmt:
    kind: str
    line: int
    text: str = ""  # the expression or call
    var: str = ""
    message: str = ""
    body: list[Stmt] = field(default_factory=list)
    orelse: list[Stmt] = field(default_factory=list)


def tool_plan(tool: Tool) -> list[Stmt]:
    out = checks_plan(tool)
    if tool.sql is not None:
        args = ", ".join(f"{p!r}: {_sql_arg(tool, p)}" for p in tool.sql.params)
        rows = ", rows=True" if tool.sql.returning else ""
        out.append(Stmt("return", tool.line, f"ctx.sql({tool.sql.text!r}, {{{args}}}{rows})"))
        return out
    out += effects_plan(tool.effects)
    out += _fails_after(tool)
    if tool.projection is not None:
        items = ", ".join(f"{k!r}: {_returned(v)}" for k, v in tool.projection)
        out.append(Stmt("return", tool.line, "{" + items + "}"))
    elif tool.returns is not None:
        out.append(Stmt("return", tool.returns.span.line, _returned(tool.returns)))
    else:
        out.append(Stmt("return", tool.line, "None"))
    return out


def rules_plan(tool: Tool) -> list[Stmt]:
    """The function that says which of a tool's policy rules a call meets: the tool's `let` values and
    preconditions (a call the tool refuses raises ToolError: the tool decides, no rule does), then each rule's
    condition; it returns `[(rule, message)]` and writes nothing."""
    names = {**{let.name: let.py_name for let in tool.lets}, **{p.name: p.py_name for p in tool.params}}
    out = checks_plan(tool, _needed_lets(tool)) + [Stmt("assign", tool.line, "[]", "_met")]
    for r in tool.rules:
        met = Stmt("call", r.line, f"_met.append(({r.name!r}, {message_py(r.message, names)}))")
        out.append(Stmt("if", r.line, bare(py(r.cond)), body=[met]) if r.cond is not None else met)
    out.append(Stmt("return", tool.line, "_met"))
    return out


def _needed_lets(tool: Tool) -> set[str]:
    """The `let` values a rules function needs: those its rules and the preconditions use (in conditions or
    message holes), the lookups that can fail the call (`else`), and the values those are computed from."""
    from ascc.compiler.toolcheck import MESSAGE_HOLE

    def names(node, message=None) -> set[str]:
        used = {n.name for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()
        return used | set(MESSAGE_HOLE.findall(message or ""))

    needed: set[str] = set()
    for x in [*tool.requires, *tool.rules]:
        needed |= names(x.cond, x.message)
    for let in reversed(tool.lets):
        if let.name in needed or let.message is not None:
            needed |= {let.name} | names(let.expr, let.message)
    return needed


def checks_plan(tool: Tool, keep: set[str] | None = None) -> list[Stmt]:
    """The `let` values (those in `keep`, when given) and preconditions, each precondition as early as its values
    allow."""
    out: list[Stmt] = []
    params = {p.name: p.py_name for p in tool.params}
    names = {**{let.name: let.py_name for let in tool.lets}, **params}  # message holes: lets bound before
    pending = list(tool.requires)
    for i, let in enumerate(tool.lets, start=1):
        if i == 1:
            out += _requires([r for r in pending if r.after == 0], names)
        if keep is not None and let.name not in keep:
            out += _requires([r for r in pending if r.after == i], names)
            continue
        out.append(Stmt("assign", let.line, py(let.expr), let.py_name))
        if let.message is not None:
            before = {**{x.name: x.py_name for x in tool.lets[:i - 1]}, **params}
            out.append(Stmt("guard", let.line, var=let.py_name, message=message_py(let.message, before)))
        out += _requires([r for r in pending if r.after == i], names)
    if not tool.lets:
        out += _requires(pending, names)
    return out


def _sql_arg(tool: Tool, name: str) -> str:
    from ascc.compiler.resolve import py_name

    return py_name(name)


def _fails_after(tool: Tool) -> list[Stmt]:
    """`fails_after_effects:`: the first false condition returns an error result that keeps the effects."""
    names = {**{let.name: let.py_name for let in tool.lets}, **{p.name: p.py_name for p in tool.params}}
    return [Stmt("if", r.line, bare(py_negated(r.cond)),
                 body=[Stmt("return", r.line, f"ctx.kept_error({message_py(r.message, names)})")])
            for r in tool.fails_after_effects]


def _requires(reqs, params: list[str]) -> list[Stmt]:
    return [Stmt("require", r.line, bare(py_negated(r.cond)), message=message_py(r.message, params)) for r in reqs]


def message_py(message: str, params: list[str] | dict[str, str]) -> str:
    """An error message as Python source: a literal, or `B.format(...)` filling its `{name}` holes (`params`: the
    names a hole may use, with their Python names; a `{name}` that names none of them, and any other brace, is
    kept as written)."""
    import re

    from ascc.compiler.resolve import py_name
    from ascc.compiler.toolcheck import MESSAGE_HOLE

    pieces, names, last = [], [], 0
    for m in MESSAGE_HOLE.finditer(message):
        if m.group(1) in params:
            pieces.append(re.sub(r"[{}]", lambda b: b.group(0) * 2, message[last:m.start()]) + "{}")
            names.append(params[m.group(1)] if isinstance(params, dict) else py_name(m.group(1)))
            last = m.end()
    if not names:
        return repr(message)
    template = "".join(pieces) + re.sub(r"[{}]", lambda b: b.group(0) * 2, message[last:])
    return f"B.format({template!r}, {', '.join(names)})"


def _target(node: ast.Node, entity: str) -> str:
    """The row an effect changes; an entity lookup that finds nothing fails the call."""
    if isinstance(node, ast.Index) and isinstance(node.ref, ast.EntityLookup):
        return f"ctx.get_required({entity!r}, {py(node.key)})"
    return py(node)


def effects_plan(effects: list[Effect]) -> list[Stmt]:
    out: list[Stmt] = []
    for e in effects:
        out += _EFFECTS[type(e)](e)
    return out


def _bind(e: ir.RowEffect, var: str) -> tuple[list[Stmt], str]:
    """Statements that name the target row, and the name: none needed when it is already a local."""
    target = _target(e.target, e.entity)
    if target.isidentifier():
        return [], target
    return [Stmt("assign", e.line, target, var)], var


def _returned(node: ast.Node) -> str:
    """A returned value, with json and union fields of the rows in it decoded (compiler/dynamic.py)."""
    spec = getattr(node, "decode", None)
    return f"B.unstore({bare(py(node))}, {spec!r})" if spec is not None else py(node)


def _stored(a) -> str:
    """The value of an assignment to a field, as the row holds it: JSON text for a json or union field."""
    if a.field.type.kind in ("json", "union"):
        return f"B.to_json({bare(py(a.value))})"
    return py(a.value)


def _update(e: ir.Update) -> list[Stmt]:
    changes = ", ".join(f"{a.field.name!r}: {_stored(a)}" for a in e.assigns)
    pre, row = _bind(e, e.elem_var)
    return pre + [Stmt("call", e.line, f"ctx.update({e.entity!r}, {row}, {{{changes}}})")]


def _insert(e: ir.Insert) -> list[Stmt]:
    values = [f"{a.field.name!r}: {_stored(a)}" for a in e.assigns]
    values += [f"{k!r}: {_value_literal(v)}" for k, v in e.fill.items()]
    return [Stmt("call", e.line, f"ctx.insert({e.entity!r}, {{{', '.join(values)}}})")]


def _delete(e: ir.Delete) -> list[Stmt]:
    return [Stmt("call", e.line, f"ctx.delete({e.entity!r}, {_target(e.target, e.entity)})")]


def _nested(e: ir.RowEffect, new_value: str) -> list[Stmt]:
    """Set a nested list or map field of the target row to `new_value`, computed from `_row[field]`."""
    pre, row = _bind(e, "_row")
    return pre + [Stmt("call", e.line, f"ctx.update({e.entity!r}, {row}, {{{e.field.name!r}: {new_value}}})")]


def _row(e: ir.RowEffect) -> str:
    target = _target(e.target, e.entity)
    return target if target.isidentifier() else "_row"


def _append(e: ir.Append) -> list[Stmt]:
    cur = f"{_row(e)}[{e.field.name!r}]"
    value = py(e.value)
    return _nested(e, f"{cur} + {value}" if e.extend else f"{cur} + [{value}]")


def _merge(e: ir.Update | ir.UpdateWhere | ir.UpdateEntry) -> str:
    return "{**" + e.elem_var + ", " + ", ".join(f"{a.field.name!r}: {py(a.value)}" for a in e.assigns) + "}"


def _update_where(e: ir.UpdateWhere) -> list[Stmt]:
    cur = f"{_row(e)}[{e.field.name!r}]"
    v = e.elem_var
    return _nested(e, f"[{_merge(e)} if {py(e.cond)} else {v} for {v} in {cur}]")


def _remove_where(e: ir.RemoveWhere) -> list[Stmt]:
    v = e.elem_var
    return _nested(e, f"[{v} for {v} in {_row(e)}[{e.field.name!r}] if not {py(e.cond)}]")


def _put(e: ir.Put) -> list[Stmt]:
    return _nested(e, f"B.with_entry({_row(e)}[{e.field.name!r}], {py(e.key)}, {py(e.value)})")


def _update_entry(e: ir.UpdateEntry) -> list[Stmt]:
    pre, row = _bind(e, "_row")
    cur = f"{row}[{e.field.name!r}]"
    key = py(e.key)
    return pre + [Stmt("assign", e.line, f"B.entry({cur}, {key})", e.elem_var),
                  Stmt("call", e.line, f"ctx.update({e.entity!r}, {row}, {{{e.field.name!r}: "
                                       f"B.with_entry({cur}, {key}, {_merge(e)})}})")]


def _remove_entry(e: ir.RemoveEntry) -> list[Stmt]:
    return _nested(e, f"B.without_entry({_row(e)}[{e.field.name!r}], {py(e.key)})")


def _for(e: ir.For) -> list[Stmt]:
    return [Stmt("for", e.line, py(e.iterable), e.var_py, body=effects_plan(e.body) or [Stmt("pass", e.line)])]


def _if(e: ir.If) -> list[Stmt]:
    return [Stmt("if", e.line, bare(py(e.cond)), body=effects_plan(e.body) or [Stmt("pass", e.line)],
                 orelse=effects_plan(e.orelse))]


_EFFECTS = {ir.Update: _update, ir.Insert: _insert, ir.Delete: _delete, ir.Append: _append,
            ir.UpdateWhere: _update_where, ir.RemoveWhere: _remove_where, ir.Put: _put,
            ir.UpdateEntry: _update_entry, ir.RemoveEntry: _remove_entry, ir.For: _for, ir.If: _if}
