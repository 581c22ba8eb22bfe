"""Held-out domains: one setting, the same domains on both commands, stable as the library grows."""

from __future__ import annotations

import pytest

from ascc.sim.splits import SplitError, heldout, split

LIBRARY = [f"domain_{i:02d}" for i in range(35)]


def test_a_count_a_share_and_names():
    assert len(heldout(LIBRARY, "5")) == 5
    assert len(heldout(LIBRARY, "0.2")) == 7  # 35 x 0.2, rounded up
    assert heldout(LIBRARY, "domain_03, domain_01") == ["domain_01", "domain_03"]


def test_the_same_setting_gives_the_same_domains_whatever_the_order():
    assert heldout(LIBRARY, "5", seed=3) == heldout(list(reversed(LIBRARY)), "5", seed=3)
    assert heldout(LIBRARY, "5", seed=3) != heldout(LIBRARY, "5", seed=4)


def test_adding_a_domain_moves_no_other_domain_into_the_held_out_side():
    before = set(heldout(LIBRARY, "7"))
    after = set(heldout([*LIBRARY, "zz_new"], "7"))
    assert len(before ^ after) <= 2  # at most the newcomer in, one pushed out of the count


def test_the_two_sides_cover_the_library_without_overlap():
    train, held = split(LIBRARY, "0.2")
    assert set(train) | set(held) == set(LIBRARY) and not set(train) & set(held)
    assert split(LIBRARY, None) == (sorted(LIBRARY), [])


@pytest.mark.parametrize("spec, message", [
    ("0", "holds out 0 of 35"), ("35", "holds out 35 of 35"), ("1.5", "holds out 0 of 35"),
    ("nope_domain", "unknown domain"), ("", "is empty"), ("-3", "holds out 0"),
])
def test_bad_settings_say_what_is_accepted(spec, message):
    with pytest.raises(SplitError, match=message):
        heldout(LIBRARY, spec)
