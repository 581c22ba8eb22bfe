"""What the simulator needs to know about a domain that names alone suggest: the spec's `simulation:` section
(docs/spec-language.md), else today's heuristics as defaults. The one place the simulator reads that section
(`DomainInfo.simulation`, typed by the loader in ascc/lang/compiled.py).

| hint | spec key | default |
| --- | --- | --- |
| the entity users are | `persona` | the most referenced entity with a name, email or phone field (`synth._persona_entity`) |
| what identifies a user | `identify_by` | fields whose names contain `name`, `email` or `phone` |
| money fields | `money` | added to the field-name words `render.MONEY` says as money |
| hand-off tools | `handoff` | tools named `transfer_to_human…`: never an errand |
| tools no errand uses | `skip` | none |
| phrases asking for consent | `consent` | added to the `confirm` filter's and the scripted user's own |
"""

from __future__ import annotations

from dataclasses import dataclass

from ascc.lang.compiled import DomainInfo

PERSONA_FIELDS = ("name", "email", "phone")
HANDOFF_PREFIX = "transfer_to_human"


@dataclass(frozen=True)
class Hints:
    persona: str | None = None  # None: guessed
    identify_by: tuple[str, ...] = PERSONA_FIELDS
    money: frozenset = frozenset()
    handoff: tuple[str, ...] = ()  # empty: tools named `transfer_to_human…`
    skip: frozenset = frozenset()
    consent: tuple[str, ...] = ()

    def is_handoff(self, tool: str) -> bool:
        return tool in self.handoff if self.handoff else tool.startswith(HANDOFF_PREFIX)

    def no_errand(self, tool: str) -> bool:
        """A tool no synthesised errand calls: a hand-off (it ends a conversation) or one the spec skips."""
        return self.is_handoff(tool) or tool in self.skip

    def asks_consent(self, text: str) -> bool:
        low = text.lower()
        return any(p.lower() in low for p in self.consent)


def hints(info: DomainInfo) -> Hints:
    """The hints of a compiled domain (`DomainInfo.simulation`: the spec's `simulation:` section)."""
    sim = info.simulation
    return Hints(persona=sim.persona, identify_by=sim.identify_by or PERSONA_FIELDS, money=frozenset(sim.money),
                 handoff=sim.handoff, skip=frozenset(sim.skip), consent=sim.consent)
