"""Deterministic synthetic domains for the compiler benchmark: N `*.env.yaml` specs of 5–8 entities, 30 tools each.

Every domain is built from one themed core (an owner such as a customer, an item such as a product, a record
such as an order with a list of line structs and a list of event structs) plus 2–5 side entities that refer to
the core. Tools are drawn from a pool of realistic shapes — lookups, queries with projections, totals, one `sql:`
tool — and writes with `let`/`requires` and `update`, `update … where`, `insert`, `append`, `for`, `if`, `put`,
`remove` and `delete` effects, at least 40% of them writes. The seed generates 20–50 rows per entity.

    python benchmarks/gen_domains.py --out /tmp/domains -n 1000 [--check]

The same `--seed` and `-n` always give byte-identical files. `--check` compiles every generated spec (without
writing outputs) and fails unless all of them compile with no errors and no warnings.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

TOOLS_PER_DOMAIN = 30
WRITES_PER_DOMAIN = 13  # 43%
SQL_TOOLS = 1

# theme: (owner, item, record, record statuses, owner id prefix, record id prefix)
THEMES = [
    ("shop", "customer", "product", "order", ("pending", "processed", "delivered", "cancelled"), "C", "#W"),
    ("library", "member", "book", "loan", ("open", "renewed", "returned", "cancelled"), "M", "L"),
    ("clinic", "patient", "treatment", "appointment", ("booked", "confirmed", "completed", "cancelled"), "PT", "AP"),
    ("airline", "passenger", "fare", "booking", ("held", "ticketed", "flown", "cancelled"), "PX", "BK"),
    ("telecom", "subscriber", "plan", "contract", ("draft", "active", "suspended", "cancelled"), "S", "K"),
    ("hotel", "guest", "room", "reservation", ("requested", "confirmed", "checked_in", "cancelled"), "G", "R"),
    ("bank", "client", "account_product", "application", ("submitted", "review", "approved", "cancelled"), "CL", "AP"),
    ("school", "student", "course", "enrollment", ("pending", "enrolled", "completed", "cancelled"), "ST", "EN"),
    ("rental", "renter", "vehicle", "rental", ("reserved", "picked_up", "returned", "cancelled"), "RN", "RT"),
    ("gym", "athlete", "class_pass", "membership", ("trial", "active", "frozen", "cancelled"), "A", "MB"),
    ("events", "attendee", "ticket_type", "registration", ("pending", "paid", "attended", "cancelled"), "AT", "RG"),
    ("repair", "owner", "part", "work_order", ("opened", "diagnosed", "repaired", "cancelled"), "OW", "WO"),
]
# side entities: (name, refers to "owner" or "record", its kinds)
SIDES = [
    ("review", "owner", ("praise", "complaint", "question")),
    ("shipment", "record", ("ground", "express", "pickup")),
    ("invoice", "record", ("draft", "issued", "void")),
    ("address", "owner", ("home", "work", "billing")),
    ("support_ticket", "owner", ("billing", "technical", "account")),
    ("voucher", "owner", ("percent", "fixed", "gift")),
    ("refund_request", "record", ("full", "partial", "store_credit")),
    ("audit_note", "record", ("info", "warning", "escalation")),
    ("reminder", "owner", ("email", "sms", "call")),
    ("attachment", "record", ("photo", "receipt", "contract")),
]
OPTIONAL_SIDE_FIELDS = ("amount", "flags", "opened", "note", "weight")
LABEL_WORDS = ("alpha", "bravo", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper")


@dataclass
class Side:
    name: str
    ref: str  # the entity it refers to
    ref_field: str
    kinds: tuple[str, ...]
    extra: tuple[str, ...]  # which OPTIONAL_SIDE_FIELDS it has
    prefix: str


@dataclass
class Model:
    """The names one generated domain uses; tool builders read fields from here."""

    name: str
    owner: str
    item: str
    record: str
    statuses: tuple[str, ...]
    owner_prefix: str
    record_prefix: str
    sides: list[Side] = field(default_factory=list)

    @property
    def oid(self) -> str:
        return f"{self.owner}_id"

    @property
    def iid(self) -> str:
        return f"{self.item}_id"

    @property
    def rid(self) -> str:
        return f"{self.record}_id"


# ---- YAML text helpers

_PLAIN = re.compile(r"^[A-Za-z0-9_$(][^#]*$")


def q(s: str, flow: bool = False) -> str:
    """A YAML scalar for `s`: plain when that is unambiguous, else a JSON (= YAML double-quoted) string.

    In a flow mapping (`flow`) the characters `[]{},` end a plain scalar, so values holding them are quoted.
    """
    risky = ": " in s or s.endswith(":") or " #" in s or s.startswith(("-", "?", "$")) or "\n" in s
    risky = risky or s.startswith(("[", "{")) or (flow and any(ch in s for ch in "[]{},"))
    if _PLAIN.match(s) and not risky and s not in ("true", "false", "null", "yes", "no", "on", "off"):
        return s
    return json.dumps(s)


def els(expr: str, message: str) -> str:
    """`expr else "message"`, quoted for YAML."""
    return q(f'{expr} else "{message}"')


def fmap(d: dict[str, str]) -> str:
    """A flow mapping `{a: x, b: y}` of expressions, each quoted when it must be."""
    return "{" + ", ".join(f"{k}: {q(v, flow=True)}" for k, v in d.items()) + "}"


# ---- schema

def make_model(i: int, rng: random.Random) -> Model:
    theme, owner, item, record, statuses, op, rp = THEMES[i % len(THEMES)]
    m = Model(f"{theme}_{i:04d}", owner, item, record, statuses, op, rp)
    for j, (name, ref, kinds) in enumerate(rng.sample(SIDES, rng.randint(2, 5))):
        target = m.owner if ref == "owner" else m.record
        extra = tuple(f for f in OPTIONAL_SIDE_FIELDS if rng.random() < 0.6)
        m.sides.append(Side(name, target, f"{target}_id", kinds, extra, f"X{j}"))
    return m


def header(m: Model, rng: random.Random) -> list[str]:
    today = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return [
        f"# Synthetic benchmark domain {m.name}: {m.owner}s, {m.item}s and {m.record}s.",
        f"domain: {m.name}",
        "version: 1",
        f"description: {q(f'A {m.record} desk for {m.owner}s and their {m.item}s.')}",
        "policy: |",
        f"  You help {m.owner}s with their {m.record}s.",
        f"  - Look the {m.owner} up before anything else.",
        f"  - Only {m.statuses[0]} {m.record}s can be changed or cancelled.",
        "  - Confirm every write with the user first.",
        f'clock: {{today: "{today}", now: "{today}T09:30:00"}}',
        "",
    ]


def types_section(m: Model) -> list[str]:
    return [
        "types:",
        "  line:",
        f"    {m.iid}: {{ref: {m.item}}}",
        "    qty: int",
        '    price: "decimal(10,2)"',
        "  event:",
        "    kind: {enum: [charge, refund, note]}",
        '    amount: "decimal(10,2)"',
        "    memo: str",
        "",
    ]


def entities_section(m: Model) -> list[str]:
    out = ["entities:"]
    out += [
        f"  {m.owner}:",
        f"    key: {m.oid}",
        "    fields:",
        f'      {m.oid}: {{type: str, pattern: "^{m.owner_prefix}[0-9]{{4}}$"}}',
        "      name: str",
        "      email: {type: str, unique: true}",
        '      balance: {type: "decimal(10,2)", default: 0, check: "balance >= 0"}',
        "      tier: {enum: [basic, silver, gold], default: basic}",
        "      tags: list[str]",
        '      prefs: "map[str, str]"',
        "      joined: date",
        f"  {m.item}:",
        f"    key: {m.iid}",
        "    fields:",
        f"      {m.iid}: str",
        "      title: str",
        '      price: "decimal(10,2)"',
        '      stock: {type: int, check: "stock >= 0"}',
        "      rating: float",
        "      active: bool",
        f"  {m.record}:",
        f"    key: {m.rid}",
        "    fields:",
        f"      {m.rid}: str",
        f"      {m.oid}: {{ref: {m.owner}}}",
        f"      status: {{enum: [{', '.join(m.statuses)}], default: {m.statuses[0]}}}",
        "      lines: list[line]",
        "      events: list[event]",
        "      note: {type: str, nullable: true}",
        "      created: datetime",
    ]
    for s in m.sides:
        out += [f"  {s.name}:", f"    key: {s.name}_id", "    fields:", f"      {s.name}_id: str",
                f"      {s.ref_field}: {{ref: {s.ref}}}", f"      kind: {{enum: [{', '.join(s.kinds)}]}}",
                '      score: {type: int, check: "score >= 0"}', "      label: str"]
        opt = {"amount": '"decimal(12,2)"', "flags": "list[str]", "opened": "date",
               "note": "{type: str, nullable: true}", "weight": "float"}
        out += [f"      {f}: {opt[f]}" for f in s.extra]
    return out + [""]


# ---- tools: each builder returns (name, kind, lines of the tool body at 4 spaces)

def _t(name: str, kind: str, desc: str, body: list[str], intent: str | None = None) -> tuple[str, str, list[str]]:
    head = [f"    kind: {kind}", f"    description: {q(desc)}"]
    if intent:
        head.append(f"    intent: {q(intent)}")
    return name, kind, head + body


def r_get(m: Model, e: str, key: str, n: int):
    return _t(f"get_{e}_{n}", "read", f"Get a {e} by its id.", [
        "    params:", f"      {key}: {{ref: {e}}}",
        "    let:", f"      r: {els(f'{e}[${key}]', f'{e} not found')}",
        "    returns: r"])


def r_find_owner(m: Model, n: int):
    return _t(f"find_{m.owner}_by_email_{n}", "read", f"Find a {m.owner}'s id from their email address.", [
        "    params:", f"      email: {fmap({'type': 'str', 'description': f'The {m.owner} email, such as ann@example.com.'})}",
        "    let:", f"      c: {els(f'{m.owner}.one(email == lower($email))', f'No such {m.owner}')}",
        f"    returns: c.{m.oid}"])


def r_owner_summary(m: Model, n: int):
    return _t(f"get_{m.owner}_summary_{n}", "read", f"A {m.owner}'s profile with the ids of their {m.record}s.", [
        "    params:", f"      {m.oid}: {{ref: {m.owner}}}",
        "    let:", f"      c: {els(f'{m.owner}[${m.oid}]', f'{m.owner} not found')}",
        "    returns:", f"      {m.oid}: c.{m.oid}", "      name: c.name", "      tier: c.tier",
        "      tags: len(c.tags)",
        f"      {m.record}s: {q(f'[r.{m.rid} for r in {m.record}.all({m.oid} == ${m.oid})]')}",
        f"      open: {q(f'{m.record}.count({m.oid} == ${m.oid} and status == {m.statuses[0]})')}"])


def r_record_total(m: Model, n: int):
    return _t(f"{m.record}_total_{n}", "read", f"The total value of a {m.record}'s lines.", [
        "    params:", f"      {m.rid}: {{ref: {m.record}}}",
        "    let:", f"      r: {els(f'{m.record}[${m.rid}]', f'{m.record} not found')}",
        "    returns:", f"      {m.rid}: r.{m.rid}",
        f"      total: {q('sum(l.qty * l.price for l in r.lines)')}",
        f"      charged: {q('sum(e.amount for e in r.events if e.kind == charge)')}",
        f"      items: {q('len(r.lines)')}"])


def r_items_under(m: Model, n: int):
    proj = f"[{{id: p.{m.iid}, title: p.title, price: p.price}} for p in {m.item}.all(price < $max_price and active == true)]"
    return _t(f"list_{m.item}s_under_{n}", "read", f"List active {m.item}s cheaper than a price.", [
        "    params:", '      max_price: "decimal(10,2)"', f"    returns: {q(proj)}"])


def r_side_of(m: Model, s: Side, n: int):
    return _t(f"list_{s.name}s_of_{s.ref}_{n}", "read", f"The ids and labels of a {s.ref}'s {s.name}s.", [
        "    params:", f"      {s.ref_field}: {{ref: {s.ref}}}",
        f"    returns: {q(f'[{{id: x.{s.name}_id, label: x.label, kind: x.kind}} for x in {s.name}.all({s.ref_field} == ${s.ref_field})]')}"])


def r_side_count(m: Model, s: Side, n: int):
    return _t(f"count_{s.name}s_by_kind_{n}", "read", f"How many {s.name}s have a kind.", [
        "    params:", f"      kind: {{enum: [{', '.join(s.kinds)}]}}",
        f"    returns: {q(f'{s.name}.count(kind == $kind)')}"])


def r_side_best(m: Model, s: Side, n: int):
    return _t(f"first_{s.name}_scoring_{n}", "read", f"The first {s.name} with at least a score.", [
        "    params:", "      min_score: {type: int, description: The lowest score to accept.}",
        "    let:", f"      x: {els(f'{s.name}.first(score >= $min_score)', f'No {s.name} scores that high')}",
        "    returns:", f"      id: x.{s.name}_id", "      score: x.score",
        f"      exists_higher: {q(f'{s.name}.exists(score > x.score)')}"])


def r_events(m: Model, n: int):
    return _t(f"list_{m.record}_events_{n}", "read", f"The events of a {m.record}, optionally only of one kind.", [
        "    params:", f"      {m.rid}: {{ref: {m.record}}}",
        "      kind: {enum: [charge, refund, note], optional: true}",
        "    let:", f"      r: {els(f'{m.record}[${m.rid}]', f'{m.record} not found')}",
        f"    returns: {q('[e for e in r.events if $kind == null or e.kind == $kind]')}"])


def r_sql(m: Model, rng: random.Random, n: int):
    if rng.random() < 0.5:
        sql = [f"      SELECT {m.iid}, title, price FROM {m.item}", "      WHERE price < $max_price AND stock > 0",
               f"      ORDER BY price, {m.iid}"]
        return _t(f"search_{m.item}s_{n}", "read", f"Search in-stock {m.item}s under a price, cheapest first.", [
            "    params:", '      max_price: "decimal(10,2)"', "    sql: |", *sql])
    s = m.sides[0]
    sql = [f"      SELECT {s.name}_id, label, score FROM {s.name}", "      WHERE score >= $min_score",
           f"      ORDER BY score DESC, {s.name}_id", "      LIMIT 20"]
    return _t(f"top_{s.name}s_{n}", "read", f"The best-scoring {s.name}s.", [
        "    params:", "      min_score: int", "    sql: |", *sql])


def w_set_status(m: Model, n: int):
    a, b = m.statuses[0], m.statuses[1]
    return _t(f"advance_{m.record}_{n}", "write", f"Move a {a} {m.record} to {b}.", [
        "    params:", f"      {m.rid}: {{ref: {m.record}}}",
        "    let:", f"      r: {els(f'{m.record}[${m.rid}]', f'{m.record} not found')}",
        "    requires:", f"      - {els(f'r.status == {a}', f'Only {a} {m.record}s can advance')}",
        "    effects:", f"      - update r: {{status: {b}}}", f"    returns: {m.record}[${m.rid}]"],
        intent=f"advance {m.record} {{{m.rid}}}")


def w_cancel(m: Model, n: int):
    a, c = m.statuses[0], m.statuses[-1]
    refunds = "[{kind: refund, amount: e.amount, memo: 'cancelled'} for e in r.events if e.kind == charge]"
    return _t(f"cancel_{m.record}_{n}", "write", f"Cancel a {a} {m.record}, refund its charges and restock it.", [
        "    params:", f"      {m.rid}: {{ref: {m.record}}}",
        "      reason: {enum: [no longer needed, ordered by mistake]}",
        "    let:", f"      r: {els(f'{m.record}[${m.rid}]', f'{m.record} not found')}",
        f"      refund_total: {q('sum(e.amount for e in r.events if e.kind == charge)')}",
        "    requires:", f"      - {els(f'r.status == {a}', f'Non-{a} {m.record} cannot be cancelled')}",
        "    effects:", f"      - update r: {{status: {c}, note: $reason}}",
        f"      - update {m.owner}[r.{m.oid}]:", "          balance: balance + refund_total",
        f"      - append r.events: {q(refunds)}",
        "      - for l in r.lines:", f"          - update {m.item}[l.{m.iid}]: {{stock: stock + l.qty}}",
        f"    returns: {m.record}[${m.rid}]"], intent=f"cancel {m.record} {{{m.rid}}} because {{reason}}")


def w_change_qty(m: Model, n: int):
    a = m.statuses[0]
    return _t(f"change_{m.item}_quantity_{n}", "write", f"Change how many of one {m.item} a {a} {m.record} has.", [
        "    params:", f"      {m.rid}: {{ref: {m.record}}}", f"      {m.iid}: {{ref: {m.item}}}",
        f"      qty: {fmap({'type': 'int', 'description': 'The new quantity, at least 1.'})}",
        "    let:", f"      r: {els(f'{m.record}[${m.rid}]', f'{m.record} not found')}",
        f"      line: {q(f'[l for l in r.lines if l.{m.iid} == ${m.iid}]')}",
        f"      p: {els(f'{m.item}[${m.iid}]', f'{m.item} not found')}",
        "    requires:", f"      - {els(f'r.status == {a}', f'Only {a} {m.record}s can change')}",
        f"      - {els('len(line) == 1', f'The {m.record} has no such {m.item}')}",
        f"      - {els('$qty >= 1', 'Quantity must be at least 1')}",
        f"      - {els('p.stock >= $qty - line[0].qty', 'Not enough stock')}",
        "    effects:", f"      - update r.lines where {m.iid} == ${m.iid}: {{qty: $qty}}",
        f"      - update p: {fmap({'stock': 'stock - ($qty - line[0].qty)'})}",
        f"    returns: {fmap({m.rid: f'r.{m.rid}', 'lines': 'r.lines'})}"])


def w_add_line(m: Model, n: int):
    a = m.statuses[0]
    charge = {"kind": "charge", "amount": "p.price * $qty", "memo": f"'added {m.item}'"}
    return _t(f"add_{m.item}_to_{m.record}_{n}", "write", f"Add a {m.item} to a {a} {m.record} and charge for it.", [
        "    params:", f"      {m.rid}: {{ref: {m.record}}}", f"      {m.iid}: {{ref: {m.item}}}", "      qty: int",
        "    let:", f"      r: {els(f'{m.record}[${m.rid}]', f'{m.record} not found')}",
        f"      p: {els(f'{m.item}[${m.iid}]', f'{m.item} not found')}",
        "    requires:", f"      - {els(f'r.status == {a}', f'Only {a} {m.record}s can change')}",
        f"      - {els('$qty >= 1 and p.stock >= $qty', 'Not enough stock')}",
        f"      - {els(f'not any(l.{m.iid} == ${m.iid} for l in r.lines)', f'Already in the {m.record}')}",
        "    effects:", f"      - append r.lines: {fmap({m.iid: f'${m.iid}', 'qty': '$qty', 'price': 'p.price'})}",
        f"      - append r.events: {fmap(charge)}",
        "      - update p: {stock: stock - $qty}",
        f"    returns: {m.record}[${m.rid}]"])


def w_remove_line(m: Model, n: int):
    a = m.statuses[0]
    return _t(f"remove_{m.item}_from_{m.record}_{n}", "write", f"Remove a {m.item} from a {a} {m.record}.", [
        "    params:", f"      {m.rid}: {{ref: {m.record}}}", f"      {m.iid}: {{ref: {m.item}}}",
        "    let:", f"      r: {els(f'{m.record}[${m.rid}]', f'{m.record} not found')}",
        f"      gone: {q(f'[l for l in r.lines if l.{m.iid} == ${m.iid}]')}",
        "    requires:", f"      - {els(f'r.status == {a}', f'Only {a} {m.record}s can change')}",
        f"      - {els('len(gone) > 0', 'No such line')}",
        "    effects:", f"      - remove r.lines where {m.iid} == ${m.iid}",
        "      - for l in gone:", f"          - update {m.item}[l.{m.iid}]: {{stock: stock + l.qty}}",
        f"    returns: {q('len(r.lines)')}"])


def w_top_up(m: Model, n: int):
    tagged = "c.tags + ['topped_up']"
    return _t(f"top_up_{m.owner}_balance_{n}", "write", f"Add credit to a {m.owner}'s balance; large top-ups earn a tier.", [
        "    params:", f"      {m.oid}: {{ref: {m.owner}}}", '      amount: "decimal(10,2)"',
        "    let:", f"      c: {els(f'{m.owner}[${m.oid}]', f'{m.owner} not found')}",
        "    requires:", f"      - {els('$amount > 0', 'The amount must be positive')}",
        f"      - {els('$amount <= 1000', 'At most 1000 at a time')}",
        "    effects:", "      - update c: {balance: balance + $amount}",
        "      - if $amount >= 500:", "          - update c: {tier: gold}",
        "        else:", f"          - update c: {fmap({'tags': tagged})}",
        "    returns: {balance: c.balance + $amount}"], intent=f"add {{amount}} to {m.owner} {{{m.oid}}}")


def w_restock(m: Model, n: int):
    return _t(f"restock_{m.item}_{n}", "write", f"Add stock to a {m.item}.", [
        "    params:", f"      {m.iid}: {{ref: {m.item}}}", "      count: int",
        "    let:", f"      p: {els(f'{m.item}[${m.iid}]', f'{m.item} not found')}",
        "    requires:", f"      - {els('$count > 0', 'Restock at least one')}",
        "    effects:", "      - update p: {stock: stock + $count, active: true}",
        "    returns: p.stock + $count"])


def w_set_pref(m: Model, n: int):
    return _t(f"set_{m.owner}_preference_{n}", "write", f"Set one of a {m.owner}'s preferences.", [
        "    params:", f"      {m.oid}: {{ref: {m.owner}}}", "      key: str", "      value: str",
        "    let:", f"      c: {els(f'{m.owner}[${m.oid}]', f'{m.owner} not found')}",
        "    requires:", f"      - {els('len($key) > 0', 'Empty preference name')}",
        "    effects:", "      - put c.prefs[$key]: $value", "    returns: c.prefs"])


def w_clear_pref(m: Model, n: int):
    return _t(f"clear_{m.owner}_preference_{n}", "write", f"Remove one of a {m.owner}'s preferences.", [
        "    params:", f"      {m.oid}: {{ref: {m.owner}}}", "      key: str",
        "    let:", f"      c: {els(f'{m.owner}[${m.oid}]', f'{m.owner} not found')}",
        "    requires:", f"      - {els('contains(c.prefs, $key)', 'No such preference')}",
        "    effects:", "      - remove c.prefs[$key]", "    returns: keys(c.prefs)"])


def w_note(m: Model, n: int):
    return _t(f"note_{m.record}_{n}", "write", f"Add a note to a {m.record}'s history.", [
        "    params:", f"      {m.rid}: {{ref: {m.record}}}", "      memo: str",
        "    let:", f"      r: {els(f'{m.record}[${m.rid}]', f'{m.record} not found')}",
        "    effects:", "      - append r.events: {kind: note, amount: 0, memo: $memo}", "      - update r: {note: $memo}",
        "    returns: len(r.events)"])


def w_insert_side(m: Model, s: Side, n: int):
    vals = {f"{s.name}_id": q(f'new_id("{s.prefix}-", 6)'), s.ref_field: f"${s.ref_field}", "kind": "$kind",
            "score": "0", "label": "$label"}
    opt = {"amount": "0", "flags": '"[]"', "opened": "today()", "note": "null", "weight": "1.5"}
    vals.update({f: opt[f] for f in s.extra})
    return _t(f"create_{s.name}_{n}", "write", f"Create a {s.name} for a {s.ref}.", [
        "    params:", f"      {s.ref_field}: {{ref: {s.ref}}}", f"      kind: {{enum: [{', '.join(s.kinds)}]}}",
        "      label: str",
        "    requires:", f"      - {els(f'{s.ref}.exists({s.ref_field} == ${s.ref_field})', f'Unknown {s.ref}')}",
        "    effects:", f"      - insert {s.name}:", *[f"          {k}: {v}" for k, v in vals.items()],
        f"    returns: {q(f'{s.name}.count({s.ref_field} == ${s.ref_field})')}"])


def w_score_side(m: Model, s: Side, n: int):
    sets = {"score": "score + $points", "label": "$label"}
    if "amount" in s.extra:
        sets["amount"] = "amount + 1"
    return _t(f"rate_{s.name}_{n}", "write", f"Add points to a {s.name} and relabel it.", [
        "    params:", f"      {s.name}_id: {{ref: {s.name}}}", "      points: int", "      label: str",
        "    let:", f"      x: {els(f'{s.name}[${s.name}_id]', f'{s.name} not found')}",
        "    requires:", f"      - {els('$points >= 0', 'Points cannot be negative')}",
        "    effects:", f"      - update x: {fmap(sets)}", f"    returns: {s.name}[${s.name}_id]"])


def w_delete_side(m: Model, s: Side, n: int):
    return _t(f"delete_{s.name}_{n}", "write", f"Delete a {s.name} with no score.", [
        "    params:", f"      {s.name}_id: {{ref: {s.name}}}",
        "    let:", f"      x: {els(f'{s.name}[${s.name}_id]', f'{s.name} not found')}",
        "    requires:", f"      - {els('x.score == 0', f'Only unscored {s.name}s can be deleted')}",
        "    effects:", "      - delete x", "    returns: true"])


def tools_section(m: Model, rng: random.Random) -> list[str]:
    core_w = [w_set_status, w_cancel, w_change_qty, w_add_line, w_remove_line, w_top_up, w_restock, w_set_pref,
              w_clear_pref, w_note]
    side_w = [w_insert_side, w_score_side, w_delete_side]
    core_r = [r_find_owner, r_owner_summary, r_record_total, r_items_under, r_events]
    side_r = [r_side_of, r_side_count, r_side_best]
    tools = []
    for n in range(WRITES_PER_DOMAIN):
        if n < len(core_w) and rng.random() < 0.8:
            tools.append(core_w[n](m, n))
        else:
            tools.append(rng.choice(side_w)(m, rng.choice(m.sides), n))
    tools.append(r_sql(m, rng, WRITES_PER_DOMAIN))
    entities = [(m.owner, m.oid), (m.item, m.iid), (m.record, m.rid)] + [(s.name, f"{s.name}_id") for s in m.sides]
    for n in range(WRITES_PER_DOMAIN + SQL_TOOLS, TOOLS_PER_DOMAIN):
        pick = rng.random()
        if pick < 0.25:
            tools.append(r_get(m, *rng.choice(entities), n))
        elif pick < 0.6:
            tools.append(rng.choice(core_r)(m, n))
        else:
            tools.append(rng.choice(side_r)(m, rng.choice(m.sides), n))
    out = ["tools:"]
    for name, _, body in tools:
        out += [f"  {name}:", *body, ""]
    return out


# ---- seed

def seed_section(m: Model, rng: random.Random) -> list[str]:
    def count() -> int:
        return rng.randint(20, 50)

    s0, s1 = rng.randint(1, 9), rng.randint(1, 9)
    email = 'format("{}{}@example.com", lower(faker.first_name()), index())'
    tags, prefs = "[choice('new', 'vip')]", "{'lang': choice('en', 'de')}"
    events = "[{kind: charge, amount: p.price * n, memo: 'initial'}]"
    out = ["seed:", f"  random_seed: {rng.randint(1, 10_000)}", "  generate:"]
    out += [f"    {m.item}:", f"      count: {count()}", "      fields:",
            f'        {m.iid}: seq("P{s0}", 5)', "        title: faker.catch_phrase",
            "        price: uniform(1, 300, 2)", "        stock: randint(0, 100)", "        rating: float(randint(1, 5))",
            "        active: choice(true, true, false)"]
    out += [f"    {m.owner}:", f"      count: {count()}", "      fields:",
            f'        {m.oid}: seq("{m.owner_prefix}", 4)', "        name: faker.name",
            f"        email: {q(email)}",
            "        balance: uniform(0, 500, 2)", "        tier: choice(basic, basic, silver, gold)",
            f"        tags: {q(tags)}", f"        prefs: {q(prefs)}",
            '        joined: date_between("2022-01-01", "2024-12-31")']
    statuses = ", ".join(m.statuses[:3] + (m.statuses[0],))
    out += [f"    {m.record}:", f"      count: {count()}", "      let:", f"        p: pick_row({m.item})",
            "        n: randint(1, 3)", "      fields:",
            f'        {m.rid}: digits("{m.record_prefix}{s1}", 6)', f"        {m.oid}: pick({m.owner})",
            f"        status: choice({statuses})",
            f"        lines: {q(f'[{{{m.iid}: p.{m.iid}, qty: n, price: p.price}}]')}",
            f"        events: {q(events)}",
            "        note: maybe(0.3, faker.sentence())",
            '        created: datetime_between("2024-01-01T00:00:00", "2024-12-31T23:59:59")']
    for s in m.sides:
        out += [f"    {s.name}:", f"      count: {count()}", "      fields:",
                f'        {s.name}_id: seq("{s.prefix}-", 6)', f"        {s.ref_field}: pick({s.ref})",
                f"        kind: choice({', '.join(s.kinds)})", "        score: randint(0, 10)",
                f"        label: choice({', '.join(repr(w) for w in rng.sample(LABEL_WORDS, 3))})"]
        opt = {"amount": "uniform(0, 1000, 2)", "flags": "repeat(0, 3, choice('a', 'b', 'c'))",
               "opened": 'date_between("2024-01-01", "2024-12-31")', "note": "maybe(0.5, faker.word())",
               "weight": "float(randint(1, 40)) / 4"}
        out += [f"        {f}: {q(opt[f])}" for f in s.extra]
    return out


def domain_text(i: int, seed: int) -> tuple[str, str]:
    """The name and spec text of domain `i` (independent of how many others are generated)."""
    rng = random.Random(seed * 1_000_003 + i)
    m = make_model(i, rng)
    lines = header(m, rng) + types_section(m) + entities_section(m) + tools_section(m, rng) + seed_section(m, rng)
    return m.name, "\n".join(lines) + "\n"


def generate(out: Path, n: int = 1000, seed: int = 0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        name, text = domain_text(i, seed)
        p = out / f"{name}.env.yaml"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


def self_check(paths: list[Path], jobs: int = 0) -> int:
    """Compile every spec (no outputs); print and count diagnostics. Returns the number of bad specs."""
    from ascc.compiler.driver import compile_many
    from ascc.diagnostics import SourceCache, render_all

    results = compile_many(paths, None, jobs=jobs)
    bad = [r for r in results if r.diagnostics]
    if bad:
        diags = [d for r in bad[:3] for d in r.diagnostics]
        sys.stderr.write(render_all(diags, SourceCache()) + "\n")
    return len(bad)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder to write the *.env.yaml files into")
    ap.add_argument("-n", type=int, default=1000, help="how many domains (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    ap.add_argument("--check", action="store_true", help="compile every spec and fail on any diagnostic")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes for --check (0: one per core)")
    args = ap.parse_args(argv)
    paths = generate(args.out, args.n, args.seed)
    print(f"wrote {len(paths)} domains to {args.out}")
    if args.check:
        bad = self_check(paths, args.jobs)
        if bad:
            print(f"{bad} of {len(paths)} generated specs have diagnostics", file=sys.stderr)
            return 1
        print(f"all {len(paths)} specs compile with no diagnostics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
