"""What the server computes once per warehouse version gives the library's answers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.mirror


def test_untapped_per_region_equals_the_search_over_all_pairs(mirror_db: Path) -> None:
    from rok.cooperation.complementarity import untapped
    from rok.web.state import DataState

    state = DataState(mirror_db)
    try:
        a = state.current
        p, expected = a.profiles, a.networks.gravity.expected
        assert sum(len(t) for t in a.expected_by_region.values()) == 2 * len(expected)
        checked = 0
        for code in ("DE21", "PL82", "EL43", "FR10", "SE11", "HR05"):
            fast = a.untapped(code, 10)
            full = untapped(a.complementarity_sym, expected, k=10, region=code, rca=p.rca, M=p.specialised,
                            density=p.density)
            pd.testing.assert_frame_equal(fast, full)
            checked += len(full)
        assert checked > 0  # some of these regions have untapped partners to compare
    finally:
        state.close()
