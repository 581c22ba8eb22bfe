"""Values a user would give for a free `str` parameter the data cannot supply, guessed from the parameter's name.

Task synthesis (`synth.py`) binds a parameter from its spec's `examples:` first, then from the data (values of a
field with its name); this module is the last resort before a word of the data's text: a person's name, an
email, a street or a time where the name says so (Faker, seeded from the walk's generator), and for free text —
a reason, a note, a comment, a message — one of a few neutral phrases that fit most errands. Spec authors who
want phrases of their own domain give the parameter `examples:`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

PERSON_PREFIXES = ("guest", "driver", "contact", "member", "owner", "passenger", "patient", "customer", "candidate",
                   "employee", "user", "holder", "recipient", "beneficiary", "full", "legal", "attendee", "rider")

PHRASES: dict[str, tuple[str, ...]] = {
    "reason": ("a change of plans", "a scheduling conflict", "personal reasons", "it is no longer needed",
               "it was made by mistake", "a family emergency"),
    "note": ("Please call me before you come.", "Thanks for your help!", "I might be a few minutes late.",
             "Nothing urgent, whenever it suits you.", "Please use the side entrance."),
    "message": ("Hi, just checking in on this. Thanks!", "Could you get back to me when you have a moment?",
                "Thank you, see you then.", "Sorry for the short notice, thanks for understanding."),
    "subject": ("Quick question", "Follow-up", "Change of plans", "Request for an update"),
    "description": ("It happened on my way home; I have photos of it.", "I noticed it this morning.",
                    "Details as discussed on the phone.", "It stopped working after a few days."),
}
ALIASES = {"notes": "note", "comment": "note", "comments": "note", "remark": "note", "remarks": "note",
           "body": "message", "statement": "description", "summary": "description",
           "details": "description", "title": "subject", "explanation": "reason", "purpose": "reason",
           "motive": "reason"}

_FAKER = None


def _faker():
    global _FAKER
    if _FAKER is None:
        from faker import Faker

        _FAKER = Faker("en_US")
    return _FAKER


def _fake(rng: random.Random, provider: str) -> str:
    f = _faker()
    f.seed_instance(rng.getrandbits(32))  # the walk's generator decides: a task stays a function of its seed
    return str(getattr(f, provider)())


def _time(rng: random.Random) -> str:
    return f"{rng.randint(8, 17):02d}:{rng.choice(('00', '30'))}"


def _date(rng: random.Random, today: dt.date, dob: bool) -> str:
    if dob:
        return (today - dt.timedelta(days=rng.randint(18 * 365, 75 * 365))).isoformat()
    return (today + dt.timedelta(days=rng.randint(1, 30))).isoformat()


def _person(name: str) -> str | None:
    if name in ("first_name", "given_name"):
        return "first_name"
    if name in ("last_name", "surname", "family_name"):
        return "last_name"
    if name in ("name", "full_name") or (name.endswith("_name") and name[:-5] in PERSON_PREFIXES):
        return "name"
    return None


def _place(name: str) -> str | None:
    last = name.rsplit("_", 1)[-1]
    table = {"email": "email", "phone": "phone", "city": "city", "street": "street_address",
             "address1": "street_address", "address": "street_address", "address2": "secondary_address",
             "zip": "postcode", "postcode": "postcode", "state": "state_abbr", "company": "company"}
    return table.get(name) or table.get(last)


def guess(name: str, rng: random.Random, today: dt.date) -> str | None:
    """A plausible value for a `str` parameter called `name`, or None when the name says nothing."""
    name = name.lower()
    last = name.rsplit("_", 1)[-1]
    family = ALIASES.get(name, name) if name in PHRASES or name in ALIASES else ALIASES.get(last, last)
    if family in PHRASES:
        return rng.choice(PHRASES[family])
    if name == "time" or name.endswith("_time"):
        return _time(rng)
    if name in ("dob", "birth_date", "date_of_birth") or name == "date" or name.endswith("_date"):
        return _date(rng, today, dob=name in ("dob", "birth_date", "date_of_birth"))
    made: dict[str, Callable[[], str]] = {
        "email": lambda: f"{_fake(rng, 'user_name')}@example.com",
        "phone": lambda: f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
    }
    provider = _person(name) or _place(name)
    if provider is None:
        return None
    return made[provider]() if provider in made else _fake(rng, provider)
