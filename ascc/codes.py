"""Every diagnostic code the compiler can emit: a title, what it means, and an example of the mistake and its fix.

`ascc explain E238` prints one entry; `docs/diagnostics.md` is generated from this table (`markdown()`), and a
test checks that every code used in the compiler is registered here.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES = {"E0": "YAML and shape", "E1": "expression syntax", "E2": "names and types", "E3": "SQL",
          "E4": "seed data", "E9": "internal", "W": "warnings"}


@dataclass(frozen=True)
class Code:
    title: str
    why: str
    wrong: str  # a spec fragment with the mistake
    right: str  # the same fragment, fixed


CODES: dict[str, Code] = {
    'E000': Code('a spec file cannot be read',
                  'The path does not exist, is not UTF-8 text (the diagnostic points at the first byte that is not), '
                  'or a folder holds no `*.env.yaml` specs.',
                  'ascc check spec/shop.env.yaml', 'ascc check specs/shop.env.yaml'),
    'E001': Code('invalid YAML',
                  'The file is not valid YAML: an unclosed bracket or quote, a tab used for indentation, a bad indent. '
                  'Most often a value that looks right is not quoted: a `: ` inside it starts a mapping (`else "Id: '
                  'missing"`), a leading `{` or `[` starts a flow mapping or list (`error: {id} is empty`), and double '
                  'quotes inside double quotes end the string early. The help shows the line with its value in single '
                  'quotes.',
                  't: thing[$id] else "Thing: not found"', 't: \'thing[$id] else "Thing: not found"\''),
    'E002': Code('a mapping key is not a plain value',
                  "Keys are plain names; YAML's complex keys (`? [a, b]`) are not allowed.",
                  '? [a, b]\n: 1', 'a_b: 1'),
    'E003': Code('YAML merge keys are not supported',
                  '`<<: *anchor` hides where a field comes from; shared record shapes go under `types:`.',
                  'id:\n  <<: *base', 'id: {type: str}'),
    'E004': Code('duplicate key',
                  'A key appears twice in one mapping; YAML would silently keep the last one. ascc keeps the first: '
                  'a second `let:` block in a tool is dropped with its names, and their uses are not reported again as '
                  'unknown (E234); merge the two blocks.',
                  'get_order: …\nget_order: …', 'get_order: …\nget_order_status: …'),
    'E005': Code('unknown key',
                  'The key is not part of the spec language at this place, usually a typo. Inside `{ … }` a comma '
                  'ends a value, so `{description: The id, as printed}` reads `as printed` as a key: quote the value.',
                  'requries: […]', 'requires: […]'),
    'E006': Code('a value has the wrong shape',
                  'A mapping, list, string, number or boolean was expected and something else was found. A map '
                  'inside a `returns:` projection or an `update`/`insert` map is not a nested record: write the record '
                  'as one quoted expression, `detail: "{n: t.n}"`.',
                  'tools:\n  - get_order', 'tools:\n  get_order: {…}'),
    'E007': Code('a required part is missing',
                  'The spec has no `domain:`, a tool has no `kind:` or `description:`, a field no type, an entity no `fields:`, or the file is empty.',
                  'get_order:\n  params: {…}', 'get_order:\n  kind: read\n  description: Get an order.'),
    'E008': Code('invalid name',
                  'Names are ASCII letters, digits and `_`, not starting with a digit; names starting with `__` are reserved.',
                  'get-order: …', 'get_order: …'),
    'E009': Code('empty enum',
                  'An enum lists the values a field can take; it needs at least one.',
                  'status: {enum: []}', 'status: {enum: [pending, done]}'),
    'E010': Code('conflicting type keys',
                  '`type:`, `enum:` and `ref:` each fix the type; give only one.',
                  'status: {type: str, enum: [a, b]}', 'status: {enum: [a, b]}'),
    'E011': Code('malformed effect',
                  'An effect list item holds one `verb target: value` entry, or `if …:` with an optional `else:`.',
                  '- update o: {…}\n  delete o:', '- update o: {…}\n- delete o'),
    'E012': Code('a type cut at a comma',
                  'Inside a YAML flow mapping `{ … }` a comma ends the value, so `decimal(10,2)` splits in two.',
                  'total: {type: decimal(10,2)}', 'total: {type: "decimal(10,2)"}'),
    'E013': Code('a requirement read as a mapping',
                  'A `: ` inside an unquoted list item makes YAML read a mapping instead of an expression.',
                  '- o.note != null else "Note: missing"', '- \'o.note != null else "Note: missing"\''),
    'E014': Code('empty `examples`',
                  "A parameter's `examples:` lists the values task synthesis gives it (what a user would say); an "
                  'empty list gives it nothing to choose from.',
                  'reason: {type: str, examples: []}', 'reason: {type: str, examples: ["moving house", "a new job"]}'),
    'E015': Code('a file too large',
                  'A spec may be at most 512 KiB: checking one takes seconds a MiB, and a spec describes a domain. '
                  'Bulk seed data belongs in seed files (`seed: files:`), which are read as data. Every other file '
                  'ascc reads (a train config, one task line, a seed or imported data file) is at most 64 MiB.',
                  'seed: {rows: {customer: [… 50,000 rows …]}}', 'seed: {files: {customer: customers.jsonl}}'),
    'E016': Code('YAML aliases that expand too far',
                  'An alias (`*name`) repeats the node its anchor (`&name`) marks. Aliases of aliases multiply: nine '
                  'levels of nine-fold aliases are a few hundred bytes that expand to 387 million nodes. ascc lets '
                  'the aliases of one file repeat at most 10,000 nodes in all, and refuses an alias inside its own '
                  'anchor; the same holds for train configs and every other YAML it reads.',
                  'a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]', 'write the values out'),
    'E094': Code('a domain is defined twice',
                  'Two specs compiled together name the same domain; domain names must be unique.',
                  'domain: shop   (in two files)', 'domain: shop_eu'),
    'E095': Code('the build folder cannot be written',
                  'An output could not be written: the folder is read-only, the disk is full, or the path names a '
                  'file where a folder should be. Nothing half-written is left behind; the next compile redoes the '
                  'domain.',
                  'ascc compile specs/ --out /read-only/build', 'ascc compile specs/ --out build'),
    'E100': Code('cannot parse an expression',
                  'The expression parser failed in an unexpected way.',
                  '(rare)', 'report the spec'),
    'E101': Code('unexpected character in an expression',
                  'The character is not part of the expression language (`&&`, `||`, `!`, `=`, `;`, …).',
                  'o.total > 10 && o.paid', 'o.total > 10 and o.paid'),
    'E102': Code('unexpected end of an expression or type',
                  'The text stops where more was expected: a dangling operator, an unclosed bracket.',
                  'o.status ==', 'o.status == pending'),
    'E103': Code('unexpected token in an expression',
                  'A word or symbol appears where the grammar does not allow it. After `else` the message is a string '
                  'literal with its own quotes: `else "Thing {id} not found"`.',
                  'o.status == == pending', 'o.status == pending'),
    'E104': Code('empty expression',
                  'An expression is blank.',
                  'requires:\n  - ""', 'requires:\n  - o.paid else "Order is unpaid"'),
    'E105': Code('the spec nests too deeply',
                  'A YAML or JSON value nests more than 100 levels deep, or an expression more than 100 (a chain of '
                  '`x if c else …` or `a + b + …` of about a hundred links), or record types nest more than 32 '
                  'levels; the diagnostic points at the level past the limit (the outermost type).',
                  '((((((…))))))', 'split it into `let:` values'),
    'E201': Code('decimal out of range',
                  '`decimal(p,s)` needs precision 1..38 and scale 0..p.',
                  '"decimal(40,2)"', '"decimal(12,2)"'),
    'E202': Code('wrong type arguments',
                  '`list` takes one element type, `map` is `map[str, T]`, scalar types take no arguments.',
                  '"map[int, str]"', '"map[str, str]"'),
    'E203': Code('an entity used as a type',
                  'A field that points at a row of an entity is written with `ref:`.',
                  'customer_id: customer', 'customer_id: {ref: customer}'),
    'E204': Code('unknown type',
                  'The type is neither built in (str, int, float, decimal, bool, date, datetime, list, map) nor under `types:`.',
                  'placed: datetme', 'placed: datetime'),
    'E205': Code('enum value listed twice',
                  'Each value of an enum is listed once.',
                  '{enum: [a, b, a]}', '{enum: [a, b]}'),
    'E206': Code('`ref:` names no entity',
                  '`ref:` must name an entity of the spec.',
                  '{ref: customers}', '{ref: customer}'),
    'E207': Code('invalid default value',
                  "The `default:` does not fit the field's type.",
                  '{type: int, default: many}', '{type: int, default: 0}'),
    'E208': Code('invalid pattern',
                  'A `pattern:` or the pattern of `matches()` is not a regular expression that both Python and '
                  "DuckDB's RE2 accept: RE2 has no look-arounds (`(?=`), back-references (`\\1`) or `\\Z`, "
                  'Python no `\\z`, `\\p{L}` or `\\Q…\\E`.',
                  'pattern: "^C[0-9"', 'pattern: "^C[0-9]+$"'),
    'E209': Code('pattern on a non-string field',
                  'Only `str` fields can have a `pattern:`.',
                  '{type: int, pattern: "^[0-9]+$"}', '{type: int, check: "n >= 0"}'),
    'E210': Code('a type shadows a built-in type',
                  'A name under `types:` is a built-in type name.',
                  'types:\n  str: …', 'types:\n  label: …'),
    'E211': Code('a type contains itself',
                  'A struct type reaches itself through its fields, so its values would be infinite.',
                  'node: {next: node}', 'use an entity and `{ref: node}`'),
    'E212': Code('a name is both a type and an entity',
                  'Types and entities share one namespace.',
                  'types: {customer: …}\nentities: {customer: …}', 'types: {customer_info: …}'),
    'E213': Code('entity without a key',
                  'Every entity names the field that identifies its rows.',
                  'order:\n  fields: {…}', 'order:\n  key: order_id\n  fields: {…}'),
    'E214': Code('the key is not a field',
                  '`key:` names a field that the entity does not have.',
                  'key: id', 'key: order_id'),
    'E215': Code('bad key type',
                  'A key is a non-null `str` or `int` field.',
                  'key: price   (decimal)', 'key: sku'),
    'E216': Code('parameters collide',
                  'Two parameter names map to the same Python name (`class` becomes `class_`).',
                  'class: str\nclass_: str', 'class: str\nkind: str'),
    'E217': Code('`examples` on a reference parameter',
                  'Task synthesis binds a `ref:` parameter to keys that exist (the user\'s own rows first), so '
                  '`examples:` would be ignored there.',
                  'order_id: {ref: order, examples: ["#W0000001"]}', 'order_id: {ref: order}'),
    'E218': Code('a pattern that Python and DuckDB read differently',
                  'Patterns run in Python (tool code, field checks, seeding) and in DuckDB (table checks, query '
                  'conditions), so only syntax both read alike is accepted: no `\\s` (RE2 leaves out the vertical '
                  'tab), no POSIX classes (`[[:alpha:]]`), no `{,n}`, `$` only at the end, and no flag but `(?s)` '
                  '(RE2 folds case by Unicode rules). `\\d`, `\\w` and `\\b` are ASCII in both.',
                  'matches($code, "(?i)[a-z]+\\s[0-9]{,3}")', 'matches(lower($code), "[a-z]+ [0-9]{0,3}")'),
    'E219': Code('a name reserved for ascc',
                  'Entity, type and field names may not start with `_`: such names belong to ascc (its internal '
                  'tables such as `_ascc_seed`, and attributes expressions cannot read, E235). A spec using one '
                  'compiled, then failed when the build loaded or could not read the field.',
                  '_score: {type: int, default: 0}', 'score: {type: int, default: 0}'),
    'E220': Code('names that collide',
                  'DuckDB reads names without regard to case, so two entities, two fields of one entity or two '
                  'fields of one type that differ only in case are one name to it. Entities, types and tools share '
                  'one namespace: a tool may not be named like an entity or type, in any case.',
                  'note: …\nNote: …', 'note: …\narchived_note: …'),
    'E221': Code('`unique` on a list, map or record field',
                  'DuckDB keeps `unique` with an index, and cannot index lists, maps or records.',
                  'tags: {type: "list[str]", unique: true}', 'code: {type: str, unique: true}'),
    'E222': Code("a default that breaks its field's own rules",
                  "A field's default must match its `pattern` and pass its `check` (when the check reads only that "
                  'field): every row that takes the default would be refused.',
                  'stock: {type: int, default: 0, check: "stock > 0"}',
                  'stock: {type: int, default: 1, check: "stock > 0"}'),
    'E223': Code('an integer literal out of range',
                  'An `int` is a 64-bit integer (DuckDB BIGINT): a literal beyond ±9223372036854775807 could '
                  'never be stored, and every call that writes it would fail.',
                  'update a: {balance: 100000000000000000000000}', 'update a: {balance: 1000000}'),
    'E224': Code('`descendants` needs a field that refers to its own entity',
                  '`entity.descendants(field, key)` walks the tree that `field` makes: a reference from a row to its '
                  'parent row of the same entity. Any other field makes no tree.',
                  'node.descendants(kind, $path)', 'node.descendants(parent, $path)'),
    'E225': Code('a type json or a union cannot take',
                  'A union holds str, int, float, bool, and lists or maps of them: values JSON holds exactly (a '
                  'decimal, date or record would come back as another type). A json or union value is stored as a '
                  'whole field of an entity, not inside a list, map or struct field, since the field is one JSON text.',
                  'ref: "int | date"\ntags: "list[json]"', 'ref: "int | str"\ntags: json'),
    'E226': Code('a json or union value used as one of its types',
                  'A `json` value may hold anything, and an `int | str` either: to compute with it, test what it '
                  'holds first. `type_of(x) == "int"` narrows `x` to int wherever the test holds (the right side of '
                  '`and`, the branches of `if … else`, the effects and return value after a precondition), and '
                  'away from int where it does not.',
                  'returns: 10 - t.priority', "returns: '10 - t.priority if type_of(t.priority) == \"int\" else 0'"),
    'W226': Code('`type_of()` of a value whose type is known',
                  '`type_of()` tests what a json or union value holds; on a value of a single known type it always '
                  'gives the same answer.',
                  'type_of(o.total) == "int"', 'type_of(o.ref) == "int"'),
    'E230': Code('type mismatch',
                  'A value does not have the type its place needs: a field assignment, a condition, an argument.',
                  'update o: {total: "\'free\'"}', 'update o: {total: 0}'),
    'E231': Code('not a value of the enum',
                  'A string compared with or assigned to an enum must be one of its values.',
                  'o.status == "shipped"', 'o.status == "delivered"'),
    'E232': Code('unknown parameter',
                  '`$name` is not a parameter of the tool.',
                  '$customer', '$customer_id'),
    'E233': Code('an entity or builtin used as a value',
                  'Entities are reached through lookups and queries; builtins are called.',
                  'len(order)', 'order.count()'),
    'E234': Code('unknown name',
                  'A bare name is not a `let` value, loop variable, field of the row in scope, or enum value of the other side. Parameters take a `$`.',
                  'o.order_id == order_id', 'o.order_id == $order_id'),
    'E235': Code('inaccessible attribute',
                  'Names starting with `_` are never reachable from expressions.',
                  'o.__class__', 'o.status'),
    'E236': Code('field access on a value without fields',
                  'Only rows and structs have fields.',
                  'o.total.amount', 'o.total'),
    'E237': Code('a value may be null here',
                  'The value is nullable (an optional field, `one()`/`first()` without `else`) and this place needs a value.',
                  'c: customer.one(email == $email)\nreturns: c.name', 'c: customer.one(email == $email) else "Customer not found"'),
    'E238': Code('unknown field',
                  'The row or struct has no such field.',
                  'o.statuss', 'o.status'),
    'E239': Code('cannot be indexed',
                  'Only lists (by position) and maps (by key) are indexed; entities are indexed by key.',
                  'o.total[0]', 'o.items[0]'),
    'E240': Code('unknown method or query',
                  'Only entities have methods: the queries one, first, all, exists and count. Values use builtins.',
                  'o.status.upper()', 'upper(o.status)'),
    'E241': Code('a query where none may run',
                  'Field checks and seed generators cannot query tables.',
                  'check: "order.exists(total > 0)"', 'check: "total > 0"'),
    'E242': Code('a query with several conditions',
                  'A query takes one condition; combine conditions with `and`.',
                  'order.all(status == pending, total > 0)', 'order.all(status == pending and total > 0)'),
    'E243': Code('a query condition that SQL cannot run',
                  "Query conditions run inside DuckDB: they compare the row's fields with values.",
                  'order.all(len([i for i in items]) > 0)', 'compute the value in `let:` first'),
    'E244': Code('unknown function',
                  'The function is not an ascc builtin. Expressions cannot call Python (`eval`, `open`, `__import__`). Builtins: len, sum, min, max, any, all, abs, round, lower, upper, strip, contains, format, coalesce, date, datetime, today, now, new_id, sorted, keys, values, …',
                  'lenght(o.items)', 'len(o.items)'),
    'E245': Code('a builtin not available here',
                  'Some builtins run only in tools (`new_id`, `now`) or only in seed generators.',
                  'check: "new_id(\'T\', 3) != \'\'"', 'move it into a tool'),
    'E246': Code('cannot negate',
                  'Only numbers can be negated.',
                  '-o.status', '-o.total'),
    'E247': Code('operator on incompatible values',
                  'Arithmetic needs numbers; `+` also joins strings and lists of one type.',
                  'o.total + o.order_id', 'o.total + 1'),
    'E248': Code('incompatible comparison',
                  'The sides cannot be compared or ordered, or `in` has no list, map or string on its right.',
                  'o.total == "10"', 'o.total == 10'),
    'E249': Code('values of different types',
                  'The branches of `if … else`, the items of a list or the arguments of coalesce() have different types.',
                  "o.total if paid else 'none'", 'o.total if paid else 0'),
    'E250': Code('cannot iterate',
                  "`for` needs a list (or a map's keys).",
                  '[x for x in o.total]', '[x for x in o.items]'),
    'E251': Code('wrong number of arguments',
                  'A builtin was called with too many or too few arguments.',
                  'len(o.items, 2)', 'len(o.items)'),
    'E252': Code('wrong argument type',
                  "A builtin's argument has the wrong type.",
                  'sum(o.tags)', 'sum(o.amounts)'),
    'E253': Code('an argument must be a literal',
                  "Some arguments are fixed when the spec compiles: round()'s digits, format()'s string, new_id()'s prefix and width.",
                  'round(x, n)', 'round(x, 2)'),
    'E254': Code('format holes and values differ',
                  'format() takes one `{}` hole per value; braces are written `{{` and `}}`; a `{:.Nf}` hole takes '
                  'at most 30 decimals.',
                  'format("{} and {}", a)', 'format("{} and {}", a, b)'),
    'E255': Code('invalid date literal',
                  'date() and datetime() literals are ISO: YYYY-MM-DD and YYYY-MM-DDTHH:MM:SS.',
                  'date("2025-02-30")', 'date("2025-02-28")'),
    'E256': Code('a literal mixes fields and map keys',
                  '`{name: …}` builds a struct, `{"key": …}` a map; one literal is one or the other.',
                  "{a: 1, 'b': 2}", '{a: 1, b: 2}'),
    'E257': Code('a key or field given twice',
                  'A record or map literal gives the same key twice.',
                  "{'a': 1, 'a': 2}", "{'a': 1, 'b': 2}"),
    'E258': Code('missing fields',
                  'A new row or struct value needs every field that has no default.',
                  'insert order: {order_id: $id}', 'insert order: {order_id: $id, status: pending, …}'),
    'E260': Code('unknown tool kind',
                  'A tool is `kind: read`, `write` or `generic`.',
                  'kind: reed', 'kind: read'),
    'E261': Code('unknown actor',
                  'A tool is called by the `agent` (default), the `user`, or only by the environment (`env`: task setup and checks).',
                  'actor: admin', 'actor: user'),
    'E262': Code('empty description',
                  "The description becomes the agent's tool schema; it must say what the tool does.",
                  'description: ""', 'description: Cancel a pending order.'),
    'E263': Code('`sql:` with effects or returns',
                  "A tool with `sql:` returns the statement's result and has no `effects:` or `returns:`.",
                  'sql: SELECT …\nreturns: x', 'sql: SELECT …'),
    'E264': Code('invalid intent template',
                  'The intent is a format string with `{param}` holes; braces are written `{{` and `}}`.',
                  'intent: "cancel {order_id"', 'intent: "cancel {order_id}"'),
    'E265': Code('intent mentions no parameter',
                  'Every `{hole}` of an intent names a parameter of the tool.',
                  'intent: "cancel {order}"', 'intent: "cancel {order_id}"'),
    'E266': Code('a value defined twice',
                  'A `let` name is defined twice in one tool.',
                  'o: … (twice)', 'o: …\no2: …'),
    'E267': Code('a `let` value shadows an entity',
                  "A `let` name equal to an entity would hide the entity's lookups and queries.",
                  'customer: customer[$id] else "…"', 'c: customer[$id] else "…"'),
    'W259': Code('error message hole names no parameter or `let` value',
                  'An error message may name parameters and `let` values computed before it in `{name}` holes, '
                  'filled in when the call fails; a `{name}` that names neither is shown as written.',
                  'else "Order {order} not found"', 'else "Order {order_id} not found"'),
    'W268': Code('`else` on a condition',
                  '`else "message"` on a `let` fails only when the value is null, not when a condition is false.',
                  'ok: o.paid else "Unpaid"', 'requires:\n  - o.paid else "Unpaid"'),
    'E268': Code('a read tool that requires confirmation',
                  'Confirmation (`confirm: true`) is asked before a change; a read tool changes nothing. '
                  '`ascc simulate` checks that the agent got an explicit yes before every call of a confirmed tool.',
                  'kind: read\nconfirm: true', 'kind: write\nconfirm: true'),
    'E269': Code('a precondition without a message',
                  'Each `requires:` item says what the agent is told when it fails.',
                  '- o.status == pending', '- o.status == pending else "Order is not pending"'),
    'E270': Code('a read tool that writes',
                  'A tool whose effects or SQL change data is `kind: write`.',
                  'kind: read\neffects: [update …]', 'kind: write'),
    'W271': Code('a write tool that changes nothing',
                  'A `kind: write` tool has no effects.',
                  'kind: write   (no effects)', 'kind: read'),
    'W272': Code('a generic tool that reads',
                  'A `kind: generic` tool works without the database; one that reads tables is `kind: read`.',
                  'kind: generic\nlet: {o: order[$id] …}', 'kind: read'),
    'W273': Code('a field hides a named value',
                  'Inside `update … :` values, `where` conditions and query conditions, bare names are fields of the '
                  'row in question; a `let` value of the same name is hidden there.',
                  'let: {discount: $pct}\neffects: [update o: {discount: discount}]',
                  'let: {new_discount: $pct}\neffects: [update o: {discount: new_discount}]'),
    'W313': Code("SQL reads the machine's clock",
                  "`current_date`, `now()` and the like read the real time, so a task's result would depend on the "
                  "day it runs; the environment's clock (`today()`, `now()` in expressions) is fixed per task.",
                  'sql: SELECT * FROM loan WHERE due < current_date',
                  'let: {t: today()}\nsql: SELECT * FROM loan WHERE due < $t'),
    'E274': Code('unknown requester',
                  'A tool is `requested_by: user` (default: a user may ask the agent for it, so task synthesis may '
                  'make it a goal) or `requested_by: staff` (back-office work no user asks for).',
                  'requested_by: admin', 'requested_by: staff'),
    'E275': Code('unknown rule outcome',
                  'A policy rule (`rules:` under a tool) prescribes one outcome when its condition holds: `refuse` '
                  '(the agent says why and does not call), `transfer` (it hands the user to a human) or `ask` (it '
                  'gets a parameter from the user before calling).',
                  'rules: ⏎   flown: {when: flown, outcome: deny, policy: …}',
                  'rules: ⏎   flown: {when: flown, outcome: refuse, policy: …}'),
    'E276': Code('a rule asks for something that is not a parameter',
                  "An `ask` rule's `ask:` names the tool parameter the agent must get from the user before calling.",
                  'params: {reservation_id: str, reason: str} ⏎ rules: ⏎   why: {outcome: ask, ask: reasons, policy: …}',
                  'params: {reservation_id: str, reason: str} ⏎ rules: ⏎   why: {outcome: ask, ask: reason, policy: …}'),
    'E277': Code("a rule's parts do not fit its outcome",
                  '`refuse` and `transfer` rules need `when:` (the condition under which the policy decides); `ask:` '
                  'belongs to `outcome: ask` (which needs it), `via:` to `outcome: transfer`.',
                  'rules: ⏎   basic: {outcome: refuse, policy: …}',
                  'rules: ⏎   basic: {when: "r.cabin == basic_economy", outcome: refuse, policy: …}'),
    'E278': Code('a transfer rule names no hand-off tool',
                  "A `transfer` rule's `via:` names the domain's tool that hands the user to a human; that tool must "
                  'exist and change no data (`kind: generic` or `read`).',
                  'via: transfer_to_human',
                  'via: transfer_to_human_agents'),
    'E280': Code('an effect target is not a row',
                  '`update` and `delete` take a row: a `let` value, a lookup or a loop variable.',
                  'delete $order_id', 'delete order[$order_id]'),
    'E281': Code('an effect target is not a field of a row',
                  '`append`, `remove` and `put` take a list or map field of a row.',
                  'append o: 1', 'append o.items: "\'sku-1\'"'),
    'E282': Code('an effect target has the wrong field type',
                  '`append` needs a list field, `put` a map field.',
                  'append o.total: 1', 'append o.items: "\'x\'"'),
    'E283': Code('an effect without its value',
                  '`update`, `insert`, `append` and `put` need the value or fields to write.',
                  '- update o', '- update o: {status: cancelled}'),
    'E284': Code('`update … where` on non-records',
                  '`update list where …` changes fields of records in a list (or map entries that are records).',
                  'update o.tags where true: {x: 1}', 'update o.items where sku == $sku: {quantity: 2}'),
    'E285': Code('`insert` names no entity',
                  '`insert` names the entity of the new row.',
                  'insert orders: {…}', 'insert order: {…}'),
    'E286': Code('`delete` with a value',
                  '`delete` removes a row and takes no value.',
                  '- delete o: {status: cancelled}', '- delete o'),
    'E287': Code('`remove` without `where` or key',
                  '`remove` takes list elements matching `where`, or a map entry by key.',
                  '- remove o.items', '- remove o.items where sku == $sku'),
    'E288': Code('a write to a row the tool already deleted',
                  'Effects run in order, and writes go by key: after `delete o`, an `update o`, `append o.items` or '
                  'a second `delete` finds no row, changes nothing, and the call still reports success.',
                  '- delete o\n- update o: {status: gone}', '- update o: {status: gone}\n- delete o'),
    'E290': Code('invalid clock',
                  '`clock.today` is an ISO date and `clock.now` an ISO datetime.',
                  'today: "2025-13-01"', 'today: "2025-12-01"'),
    'W291': Code('a domain without tools',
                  'The spec defines no tools, so an agent could do nothing in it.',
                  'tools: {}', 'tools:\n  get_order: {…}'),
    'E292': Code('a reference of the wrong type',
                  "A `ref:` field has the type of the referenced entity's key.",
                  '{type: int, ref: customer}', '{ref: customer}'),
    'E293': Code('tool names collide',
                  'Two tool names map to the same Python name (`from` becomes `from_`).',
                  'from: …\nfrom_: …', 'from: …\nfrom_date: …'),
    'E294': Code('`simulation:` names something the domain does not have',
                  "`simulation:` tells `ascc simulate` what it would otherwise guess from names: the users' entity "
                  '(`persona`), the fields that identify a user (`identify_by`: a field name or a part of one), '
                  'fields holding money (`money`), hand-off tools (`handoff`) and tools no errand uses (`skip`). '
                  'Each must name an entity, field or tool of the spec.',
                  'simulation:\n  persona: customers\n  handoff: [transfer_to_human]',
                  'simulation:\n  persona: customer\n  handoff: [transfer_to_human_agents]'),
    'E296': Code('a random draw has nothing to draw from',
                  '`random_int(lo, hi)` with literal bounds where `lo` is above `hi`, or `random_choice([])`. With '
                  'computed bounds or lists the call is refused when it runs (`invalid_arguments`).',
                  'id: random_int(99999, 10000)', 'id: random_int(10000, 99999)'),
    'E298': Code('`fails_after_effects:` on a tool with nothing to keep',
                  '`fails_after_effects:` conditions run after a tool\'s effects and keep them when they fail: the '
                  'call gets an error result (`failed_with_changes`) and its writes stay. A tool without `effects:` '
                  '(a read, a `sql:` tool) has nothing to keep: a condition that refuses the call belongs under '
                  '`requires:`, which changes nothing.',
                  'kind: read\nfails_after_effects:\n  - $n > 0 else "bad n"',
                  'kind: read\nrequires:\n  - $n > 0 else "bad n"'),
    'E297': Code('a draw that avoids keys names no fitting entity',
                  'The last argument of `new_id(prefix, digits, entity)` or `random_int(lo, hi, entity)` is an '
                  'entity whose keys the draw avoids (it draws again on a collision). It must be an entity name, '
                  'with text keys for `new_id()` and whole-number keys for `random_int()`.',
                  'id: random_int(10000, 99999, "message")', 'id: random_int(10000, 99999, message)'),
    'E301': Code('invalid SQL',
                  'The statement does not parse as DuckDB SQL.',
                  'SELECT * FROM order WHERE', 'SELECT * FROM "order"'),
    'E302': Code('several SQL statements',
                  '`sql:` holds exactly one statement.',
                  'SELECT 1; SELECT 2', 'SELECT 1'),
    'E303': Code('a forbidden SQL statement',
                  '`sql:` holds SELECT, INSERT, UPDATE or DELETE; DDL (DROP, CREATE, ATTACH, COPY, …) is not allowed.',
                  'DROP TABLE customer', 'DELETE FROM customer WHERE …'),
    'E304': Code('SQL that writes in a read tool',
                  'INSERT, UPDATE and DELETE need `kind: write`.',
                  'kind: read\nsql: DELETE …', 'kind: write'),
    'E305': Code('SQL that reaches outside the domain',
                  "SQL reads only the domain's tables: no table functions (`read_csv`), file or system functions (`getenv`), schemas or attached databases.",
                  "SELECT * FROM read_csv('/etc/passwd')", 'SELECT * FROM customer'),
    'E306': Code('unknown SQL table',
                  'The table is not an entity of the domain.',
                  'SELECT * FROM orders', 'SELECT * FROM "order"'),
    'E307': Code('positional SQL parameter',
                  "Parameters are named after the tool's parameters: `$name`.",
                  'WHERE email = ?', 'WHERE email = $email'),
    'E308': Code('unknown SQL parameter',
                  '`$name` in SQL is not a parameter (or `let` value) of the tool.',
                  '$max_totl', '$max_total'),
    'E309': Code('a record passed to SQL',
                  'SQL parameters are plain values, not rows, structs or lists.',
                  'WHERE id = $order', 'WHERE id = $order_id'),
    'E310': Code('unknown SQL column',
                  'The column is not a field of the tables in the query, or (in a write\'s `RETURNING`) of the '
                  'table it writes: DuckDB checks RETURNING only when the statement runs, so every call would fail.',
                  'SELECT totl FROM "order"', 'SELECT total FROM "order"'),
    'E311': Code('SQL does not fit the schema',
                  "The statement does not type-check against the domain's tables.",
                  'SELECT x.a FROM customer', 'SELECT email FROM customer'),
    'W312': Code('SQL not fully checked',
                  'The SQL checker could not analyse the statement; it compiles but may fail at run time.',
                  '(unusual SQL)', 'simplify the statement'),
    'E314': Code('a reserved word written bare in SQL',
                  'DuckDB reads a reserved word (`group`, `order`, `limit`, `desc`, `default`, `check`, …) as a keyword, '
                  'not as a table or column name, unless it is written in double quotes or after a `.` (`o.limit`).',
                  'UPDATE "group" SET limit = limit + 1', 'UPDATE "group" SET "limit" = "limit" + 1'),
    'E315': Code('SQL that DuckDB refuses',
                  "The statement passed ascc's own checks, but DuckDB does not prepare it against the domain's "
                  'tables; the note gives DuckDB\'s reason.',
                  'SELECT default FROM "user"', 'SELECT "default" FROM "user"'),
    'E316': Code('a list parameter compared with a single value',
                  'DuckDB binds `$name` only when the call runs, so a list compared with (or added to) a single '
                  'value, or a single value with a list column, passes PREPARE and then fails on every call.',
                  'WHERE id = $ids', 'WHERE list_contains($ids, id)'),
    'E401': Code('non-literal Faker arguments',
                  'Faker providers in seed generators take literal arguments.',
                  "faker.word(len('abc'))", 'faker.word()'),
    'E402': Code('unknown Faker provider',
                  'The name is not a provider of Faker.',
                  'faker.emial', 'faker.email'),
    'E403': Code('`pick()` needs an entity',
                  'pick() and pick_row() take an entity name.',
                  'pick(customers)', 'pick(customer)'),
    'E404': Code('no rows to pick from yet',
                  'Seed rows come from `files`, then `rows`, then `generate` in the order written; a generator can only pick rows made before it.',
                  'generate: {order: …pick(customer)…, customer: …}', 'generate: {customer: …, order: …}'),
    'E405': Code('`choice()` without values',
                  'choice() picks one of its arguments and needs at least one.',
                  'status: choice()', 'status: choice(pending, done)'),
    'E406': Code('seed data for an unknown entity',
                  'The seed names an entity the spec does not define.',
                  'rows: {customers: […]}', 'rows: {customer: […]}'),
    'E410': Code('seed file not found',
                  'The file under `seed.files` does not exist (paths are relative to the spec).',
                  'customer: customers.json', 'customer: data/customers.json'),
    'E411': Code('unsupported seed file type',
                  'Seed files are .json, .jsonl, .csv or .parquet.',
                  'customer: customers.xlsx', 'customer: customers.csv'),
    'E412': Code('unreadable seed file',
                  'The seed file is not valid JSON/CSV/Parquet text.',
                  '[{"id":', '[{"id": "C1"}]'),
    'E413': Code('an invalid seed row',
                  'A seed row breaks the schema: wrong type, unknown or missing field, duplicate key, non-unique value, pattern mismatch, failing check or a dangling reference.',
                  '- {customer_id: C1, …}   (twice)', '- {customer_id: C2, …}'),
    'E414': Code('more invalid seed rows',
                  'Only the first few problems per entity are shown.',
                  '(many bad rows)', 'fix the rows shown first'),
    'E415': Code('seed generation too large',
                  'Seed data is built in the compiler, so generators have limits: at most 100,000 generated rows '
                  'in all, `repeat()` at most 1000 values, `seq()`/`digits()` at most 30 digits, `uniform()` at '
                  'most 18 decimal digits, and 60 s for all generators together. A `repeat()` whose maximum is '
                  'computed is checked as rows are made (E413).',
                  'customer: {count: 100000000000, …}', 'customer: {count: 1000, …}'),
    'E900': Code('internal compiler error',
                  'A bug in ascc: the compiler crashed on this spec. Please report it with the spec.',
                  '(any spec)', 'report it'),
}



def stage(code: str) -> str:
    return STAGES["W"] if code.startswith("W") else STAGES.get(code[:2], "other")


def explain(code: str) -> str | None:
    """The long explanation of a code, for `ascc explain`; None for an unknown code."""
    c = CODES.get(code.upper())
    if c is None:
        return None
    indent = lambda s: "\n".join("    " + line for line in s.splitlines())  # noqa: E731
    return (f"{code.upper()}: {c.title} ({stage(code)})\n\n{c.why}\n\n"
            f"For example:\n\n{indent(c.wrong)}\n\nFix:\n\n{indent(c.right)}\n")


def markdown() -> str:
    """The table of codes in docs/diagnostics.md."""
    out = ["# Diagnostic codes", "",
           "Generated from `ascc/codes.py` (`pytest tests/test_diagnostics.py --bless` rewrites it). "
           "`ascc explain CODE` prints the long form.", "",
           "Codes come in ranges per compiler stage: E0xx YAML and shape, E1xx expression syntax, E2xx names and "
           "types, E3xx SQL, E4xx seed data, E9xx internal errors (a bug in ascc). W-codes are warnings.", ""]
    current = None
    order = list(STAGES.values())
    for code, c in sorted(CODES.items(), key=lambda kv: (order.index(stage(kv[0])), kv[0])):
        if stage(code) != current:
            current = stage(code)
            out += ["", f"## {current[0].upper() + current[1:]}", "", "| code | title | example | fix |", "|---|---|---|---|"]
        cell = lambda s: "`" + s.replace("\n", " ⏎ ").replace("|", "\\|").replace("`", "'") + "`"  # noqa: E731
        out.append(f"| {code} | {c.title} | {cell(c.wrong)} | {cell(c.right)} |")
    return "\n".join(out) + "\n"
