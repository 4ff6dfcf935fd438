"""The words of reasons and statuses (issue 19, item 2): one table keyed by (reason, context),
a short text of its own for every reason (not cut out of a sentence), statuses in words."""

from __future__ import annotations

import pytest

from raremeta.analysis import wording
from raremeta.analysis.wording import Context
from raremeta.stats.results import Reason, Status


@pytest.mark.parametrize("reason", [r for r in Reason if r != Reason.NONE])
def test_every_reason_has_a_sentence_and_a_short_text(reason):
    sentence, short = wording.reason_text(reason), wording.short_reason(reason)
    assert sentence and short
    assert len(short) <= 45 and not short.endswith("..."), short


def test_a_context_picks_its_own_sentence_and_falls_back_to_the_general_one():
    # the texts of results/tables/README.md (the codebook) and of the rate table's notes
    assert wording.reason_text(Reason.NO_EVENTS) == "not estimable: no events in any study"
    assert wording.reason_text(Reason.NO_EVENTS, Context.RATE).startswith(
        "not estimable: no events in any study, the maximum-likelihood rate is 0"
    )
    assert wording.reason_text(Reason.SINGLE_STUDY, Context.MH_OR) == (
        "not applicable: the analysis needs at least two studies (HKSJ interval, leave-one-out)"
    )


def test_statuses_in_words():
    assert [wording.status_text(s) for s in Status] == [
        "estimated",
        "not estimable",
        "not applicable",
    ]
