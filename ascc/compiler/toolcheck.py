"""Checking a tool's body: named values, preconditions, effects and its return value."""

from __future__ import annotations

import re
import string

from ascc.compiler import types as T
from ascc.compiler.dynamic import decode_spec
from ascc.compiler.effects import EffectChecker, check_writes_after_delete
from ascc.compiler.exprcheck import ExprChecker, local_py
from ascc.compiler.ir import Domain, Let, Require, Rule, Tool
from ascc.compiler.resolve import TypeResolver, resolve_params
from ascc.compiler.scope import Scope, nonnull_facts
from ascc.diagnostics import DiagnosticBag, Label, did_you_mean
from ascc.dsl import ast
from ascc.dsl.raw import RawTool

KINDS = ("read", "write", "generic")
ACTORS = ("agent", "user", "env")
REQUESTERS = ("user", "staff")


def check_tool(raw: RawTool, domain: Domain, tr: TypeResolver, bag: DiagnosticBag) -> Tool | None:
    kind = raw.kind.value if raw.kind else "read"
    if raw.kind and kind not in KINDS:
        bag.error("E260", f"unknown tool kind `{kind}`", raw.kind.span, help="kinds: read, write, generic")
    actor = raw.actor.value if raw.actor else "agent"
    if raw.actor and actor not in ACTORS:
        bag.error("E261", f"unknown actor `{actor}`", raw.actor.span, help="actors: agent (default), user, env")
    desc = (raw.description or "").strip()
    if raw.description is not None and not desc:
        bag.error("E262", "the description is empty", raw.description_span,
                  help="the description becomes the agent's tool schema; say what the tool does")
    tool = Tool(raw.name.value, kind, actor, desc, raw.name.span, raw.name.span.line,
                intent=raw.intent.value if raw.intent else None)
    tool.confirm = _confirm(raw, kind, domain, bag)
    tool.requested_by = _requested_by(raw, bag)
    tool.params = resolve_params(raw.params, tr, bag)
    params = {p.name: p for p in tool.params}
    _check_intent(raw, params, bag)
    c = ExprChecker(domain, bag, params, writes=kind == "write")
    scope = Scope()
    _check_lets(raw, tool, c, scope, bag)
    _check_requires(raw, tool, c, scope)
    _check_rules(raw, tool, c, scope)
    if raw.sql is not None:
        from ascc.compiler.sqlcheck import check_sql

        if raw.effects or raw.returns is not None:
            bag.error("E263", "a tool with `sql:` has no `effects:` or `returns:`", raw.sql.span,
                      help="the statement's result is the tool's result")
        tool.sql = check_sql(raw.sql, tool, domain, scope, bag)
    effects = EffectChecker(c, domain)
    effects.taken = {p.py_name for p in tool.params} | {x.py_name for x in tool.lets}
    tool.effects = effects.check_list(raw.effects, scope)
    check_writes_after_delete(tool.effects, {let.name: let.expr for let in tool.lets}, bag)
    tool.writes = effects.writes | (set(tool.sql.tables) if tool.sql and not tool.sql.is_select else set())
    _check_fails_after(raw, tool, c, scope)
    _check_returns(raw, tool, c, scope)
    tool.reads = c.reads | (set(tool.sql.tables) if tool.sql else set())
    _check_kind(raw, tool, bag)
    return tool


def _confirm(raw: RawTool, kind: str, domain: Domain, bag) -> bool:
    """Whether the user must say yes before a call: the tool's own `confirm`, else `confirm_writes` for writes."""
    if raw.confirm is None:
        return domain.confirm_writes and kind == "write"
    if raw.confirm and kind == "read":
        bag.error("E268", "a read tool cannot require confirmation", raw.confirm_span,
                  help="`confirm: true` is for tools that change data (`kind: write` or `generic`)")
    return raw.confirm


def _requested_by(raw: RawTool, bag) -> str:
    """Who asks the agent for a call: `user` (default: a user's errand) or `staff` (never a synthesised goal)."""
    if raw.requested_by is None:
        return "user"
    who = raw.requested_by.value
    if who not in REQUESTERS:
        bag.error("E274", f"unknown requester `{who}`", raw.requested_by.span,
                  help=did_you_mean(who, REQUESTERS) or "`requested_by` is `user` (default) or `staff`")
        return "user"
    return who


def _check_intent(raw: RawTool, params, bag) -> None:
    if raw.intent is None:
        return
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(raw.intent.value) if f is not None]
    except ValueError as exc:
        bag.error("E264", f"invalid intent template: {exc}", raw.intent.span,
                  help="use `{param}` holes and `{{`/`}}` for braces")
        return
    for f in fields:
        if f not in params:
            bag.error("E265", f"the intent mentions `{{{f}}}`, which is not a parameter", raw.intent.span,
                      help=f"parameters: {', '.join(params) or 'none'}")


MESSAGE_HOLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _check_message(message: str | None, span, params, bag, lets=()) -> None:
    """An error message may name parameters and earlier `let` values in `{name}` holes, filled in when the call
    fails; other text, braces included, is kept as written. A `{name}` that names neither is kept too, with a
    warning."""
    for name in MESSAGE_HOLE.findall(message or ""):
        if name not in params and name not in lets:
            known = [*params, *lets]
            bag.warning("W259", f"the error message mentions `{{{name}}}`, which is not a parameter or `let` value",
                        span, help=f"`{{name}}` holes name parameters and earlier `let` values: "
                                   f"{', '.join(known) or 'none'}; this text is shown as written")


def _check_lets(raw: RawTool, tool: Tool, c: ExprChecker, scope: Scope, bag) -> None:
    seen: dict[str, object] = {}
    for rl in raw.lets:
        name = rl.name.value
        if name in seen:
            bag.error("E266", f"`{name}` is defined twice", rl.name.span, labels=(Label(seen[name], "first here"),))
            continue
        if name in domain_names(c.domain):
            bag.error("E267", f"`{name}` shadows an entity", rl.name.span, help="choose another name")
        seen[name] = rl.name.span
        t = c.check(rl.value.expr, scope)
        _check_message(rl.value.message, rl.value.message_span, c.params, bag, [x.name for x in tool.lets])
        if rl.value.message is not None:
            if t.kind == "bool" and not t.nullable:
                bag.warning("W268", f"`{name}` is a condition; `else` on it fails only when it is null",
                            rl.value.message_span, help="put conditions under `requires:`")
            t = t.nonnull()
        py = local_py(name, {p.py_name for p in tool.params} | {x.py_name for x in tool.lets})
        tool.lets.append(Let(name, py, rl.value.expr, rl.value.message, rl.line, t))
        scope.bind(name, t, py)


def domain_names(domain: Domain) -> set[str]:
    return set(domain.entities)


def _check_requires(raw: RawTool, tool: Tool, c: ExprChecker, scope: Scope) -> None:
    order = {let.name: i for i, let in enumerate(tool.lets)}
    for rr in raw.requires:
        g = rr.cond
        c.expect_bool(g.expr, scope, "a precondition")
        scope.nonnull |= nonnull_facts(g.expr, True)  # effects and returns run only after it held
        if g.message is None:
            c.bag.error("E269", "a precondition needs its error message", g.expr.span,
                        help="write `condition else \"what the agent is told\"`")
            continue
        _check_message(g.message, g.message_span, c.params, c.bag, order)
        used = [order[n.name] + 1 for n in ast.walk(g.expr)
                if isinstance(n, ast.Name) and n.ref is not None and n.ref.kind == "local" and n.name in order]
        used += [order[h] + 1 for h in MESSAGE_HOLE.findall(g.message) if h in order and h not in c.params]
        # as early as its values allow, but never before a precondition written above it
        after = max([*used, tool.requires[-1].after if tool.requires else 0])
        tool.requires.append(Require(g.expr, g.message, rr.line, after))


OUTCOMES = ("refuse", "transfer", "ask")


def _check_rules(raw: RawTool, tool: Tool, c: ExprChecker, scope: Scope) -> None:
    """Policy rules: conditions over the parameters and `let` values, checked like preconditions but never run by
    the tool (the agent applies them; the compiled domain records them)."""
    reads = set(c.reads)  # what a rule reads is not what the tool reads
    lets = [x.name for x in tool.lets]
    for rr in raw.rules:
        outcome = rr.outcome.value if rr.outcome else "refuse"
        if rr.outcome and outcome not in OUTCOMES:
            c.bag.error("E275", f"unknown rule outcome `{outcome}`", rr.outcome.span,
                        help=did_you_mean(outcome, OUTCOMES) or "outcomes: refuse, transfer, ask")
        if rr.when is not None:
            c.expect_bool(rr.when, scope, f"the condition of rule `{rr.name.value}`")
        elif outcome != "ask":
            c.bag.error("E277", f"rule `{rr.name.value}` says when to {outcome} with no `when:`", rr.name.span,
                        help="add `when: <condition>` (over the parameters and `let` values)")
        policy = (rr.policy.value if rr.policy else "").strip()
        message = rr.message.value if rr.message else policy
        if rr.message is not None:
            _check_message(message, rr.message.span, c.params, c.bag, lets)
        ask = _rule_param(rr, outcome, tool, c.bag)
        via = _rule_via(rr, outcome, c.bag)
        tool.rules.append(Rule(rr.name.value, rr.when, rr.when_text, outcome, policy, message, rr.line, ask, via,
                               rr.via.span if rr.via else None))
    c.reads = reads


def _rule_param(rr, outcome: str, tool: Tool, bag) -> str | None:
    """`ask:` names the parameter an `ask` rule makes the agent get from the user; other outcomes take none."""
    if rr.ask is None:
        if outcome == "ask":
            bag.error("E277", f"`ask` rule `{rr.name.value}` does not say what to ask for", rr.name.span,
                      help="add `ask: <parameter>`: the value the agent must get from the user")
        return None
    if outcome != "ask":
        bag.error("E277", f"`ask:` on a rule whose outcome is `{outcome}`", rr.ask.span,
                  help="`ask:` belongs to `outcome: ask`")
        return None
    names = [p.name for p in tool.params]
    if rr.ask.value not in names:
        bag.error("E276", f"rule `{rr.name.value}` asks for `{rr.ask.value}`, which is not a parameter", rr.ask.span,
                  help=did_you_mean(rr.ask.value, names) or f"parameters: {', '.join(names) or 'none'}")
        return None
    return rr.ask.value


def _rule_via(rr, outcome: str, bag) -> str | None:
    """`via:` names the hand-off tool of a `transfer` rule (checked once every tool is known: `check_handoffs`)."""
    if rr.via is None:
        return None
    if outcome != "transfer":
        bag.error("E277", f"`via:` on a rule whose outcome is `{outcome}`", rr.via.span,
                  help="`via:` names the hand-off tool of `outcome: transfer`")
        return None
    return rr.via.value


def _check_fails_after(raw: RawTool, tool: Tool, c: ExprChecker, scope: Scope) -> None:
    """`fails_after_effects:` conditions, checked after the effects: the first that is false ends the call with
    its message as an error result while the effects stay (an API that stores a setting, then says it is invalid).
    Only on tools whose effects write: elsewhere there is nothing to keep, and `requires:` is what was meant."""
    if not raw.fails_after_effects:
        return
    if raw.sql is not None or not raw.effects:
        c.bag.error("E298", f"`{tool.name}` has `fails_after_effects:` but no `effects:` to keep",
                    raw.fails_after_span or raw.name.span,
                    help="to refuse a call without changing anything, write the condition under `requires:`")
    names = {let.name: i for i, let in enumerate(tool.lets)}
    for rr in raw.fails_after_effects:
        g = rr.cond
        c.expect_bool(g.expr, scope, "a condition")
        if g.message is None:
            c.bag.error("E269", "a `fails_after_effects` condition needs its error message", g.expr.span,
                        help="write `condition else \"what the agent is told\"`")
            continue
        _check_message(g.message, g.message_span, c.params, c.bag, names)
        tool.fails_after_effects.append(Require(g.expr, g.message, rr.line, len(tool.lets)))


def _check_returns(raw: RawTool, tool: Tool, c: ExprChecker, scope: Scope) -> None:
    if raw.returns is None:
        return
    if isinstance(raw.returns, list):
        tool.projection = []
        names = set()
        for a in raw.returns:
            if a.name.value in names:
                c.err("E257", f"`{a.name.value}` is returned twice", a.name.span)
            names.add(a.name.value)
            a.value.decode = decode_spec(c.check(a.value, scope), c.domain)
            tool.projection.append((a.name.value, a.value))
        tool.returns_type = T.Type("struct")
        return
    tool.returns = raw.returns
    tool.returns_type = c.check(raw.returns, scope)
    raw.returns.decode = decode_spec(tool.returns_type, c.domain)  # rows' json fields as given (dynamic.py)


def _check_kind(raw: RawTool, tool: Tool, bag) -> None:
    if tool.kind in ("read", "generic") and tool.writes:
        span = raw.kind.span if raw.kind else raw.name.span
        bag.error("E270", f"`{tool.name}` is a {tool.kind} tool but changes `{sorted(tool.writes)[0]}`", span,
                  help="declare it `kind: write`")
    if tool.kind == "write" and not tool.writes and len(tool.effects) == len(raw.effects):  # else: effect errors
        bag.warning("W271", f"write tool `{tool.name}` changes nothing", raw.name.span,
                    help="add `effects:`, or declare it `kind: read`")
    if tool.kind == "generic" and tool.reads:
        bag.warning("W272", f"generic tool `{tool.name}` reads `{sorted(tool.reads)[0]}`", raw.name.span,
                    help="tools that read the database are `kind: read`")
