"""Harmonisation: reported terms to outcomes, arms to roles, one row per study, outcome and role.

``reported`` is False and ``events`` is empty (None) where no arm of the role reported any term of
the outcome: "not reported" never becomes zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from raremeta.harmonise.quality import quality_warnings
from raremeta.io.analysis_config import AnalysisConfig, Outcome
from raremeta.io.raw_studies import ROLES, Arm, EventRecord, Population, Role, SourceKind, Study
from raremeta.io.terms import normalise_term

if TYPE_CHECKING:  # pandas only for the review-wide frames: a per-study job does not import it
    import pandas as pd

HARMONISED_COLUMNS = [
    "study",
    "comparison",
    "label",
    "outcome",
    "role",
    "arms",
    "events",
    "n",
    "reported",
    "terms",
    "sources",
    "locations",
    "quotes",
    "note",
    "source_kinds",
    "follow_up_weeks",
    "population",
    "drug",
    "randomised_arms",
]
LOG_COLUMNS = ["kind", "study", "file", "line", "message"]


@dataclass(frozen=True)
class ArmOutcome:
    """What one arm reported for one outcome."""

    arm: Arm
    records: tuple[EventRecord, ...]

    @property
    def reported(self) -> bool:
        """True when at least one term of the outcome was reported for the arm."""
        return bool(self.records)

    @property
    def chosen(self) -> EventRecord | None:
        """The record that gives the arm's count: the one with the most events (ties: the
        larger denominator), or None when nothing was reported.

        With several matching terms (or one term in both a serious and an other table) the
        number of patients with *any* of them is unknown (a patient may have had both); the
        largest single count is a lower bound, whereas the sum may count a patient twice. The
        choice is logged.
        """
        if not self.records:
            return None
        return max(self.records, key=lambda r: (r.events, self.denominator(r)))

    def denominator(self, record: EventRecord) -> int:
        """The record's own ``n_at_risk``, or the arm's n when it gives none."""
        return self.arm.n if record.n_at_risk is None else record.n_at_risk

    @property
    def events(self) -> int | None:
        """Patients with the outcome (from :attr:`chosen`)."""
        chosen = self.chosen
        return None if chosen is None else chosen.events

    @property
    def n(self) -> int:
        """Patients at risk behind :attr:`events`: the chosen row's denominator or the arm's n."""
        chosen = self.chosen
        return self.arm.n if chosen is None else self.denominator(chosen)


def arm_outcome(study: Study, arm: Arm, outcome: Outcome) -> ArmOutcome:
    """Collect the records of ``arm`` whose term counts for ``outcome``."""
    keys = outcome.keys
    matched = tuple(r for r in study.events if r.arm == arm.id and normalise_term(r.term) in keys)
    return ArmOutcome(arm, matched)


def _row_name(record: EventRecord) -> str:
    """A record's term, with its table where it gives one (``Seizure [serious]``)."""
    return f"{record.term} [{record.table}]" if record.table else record.term


def _join(values: list[str]) -> str:
    return " | ".join(dict.fromkeys(v for v in values if v))


def source_kinds_code(kinds: Iterable[str]) -> str:
    """The distinct kinds of source of some counts, as the tables write them: codes of
    :class:`~raremeta.io.raw_studies.SourceKind` in its order, ``;``-separated, a row without
    one counting as ``not_stated`` (``"primary;secondary"``); empty for no counts.
    """
    given = {SourceKind(k) if k else SourceKind.NOT_STATED for k in kinds}
    return ";".join(k.value for k in SourceKind if k in given)


#: The ``population`` code of arms some of which state their population and some do not.
POPULATION_NOT_STATED = "not_stated"


def population_code(arms: Iterable[Arm]) -> str:
    """The populations behind some arms' ``n``, as the tables write them: the distinct codes of
    :class:`~raremeta.io.raw_studies.Population` the arms state, in its order, ``;``-separated,
    with ``not_stated`` added when some arms state none (``"safety;randomised"``,
    ``"randomised;not_stated"``); empty when no arm states one (never guessed).

    Examples
    --------
    >>> from raremeta.io.raw_studies import Arm, Population
    >>> a = Arm("a", "A", "cni", "x", 10, "randomised", Population.RANDOMISED)
    >>> b = Arm("b", "B", "cni", "y", 10, "table 1", Population.SAFETY)
    >>> c = Arm("c", "C", "cni", "y", 10, "table 1")
    >>> population_code([a, b]), population_code([a, c]), population_code([c])
    ('safety;randomised', 'randomised;not_stated', '')
    """
    stated = [a.population for a in arms]
    given = {p for p in stated if p is not None}
    if not given:
        return ""
    codes = [p.value for p in Population if p in given]
    return ";".join(codes + ([POPULATION_NOT_STATED] if None in stated else []))


def drug_code(arms: Iterable[Arm]) -> str:
    """The distinct ``drug`` values of some arms, in arm order, ``;``-separated."""
    return ";".join(dict.fromkeys(a.drug for a in arms))


def _role_row(
    study: Study,
    comparison: str,
    outcome: Outcome,
    role: str,
    parts: list[ArmOutcome],
    share: int = 1,
) -> tuple[dict, list[str]]:
    """One harmonised row from the arms of one role; ``share`` divides a shared comparator."""
    reporting = [p for p in parts if p.reported]
    notes = []
    if reporting:
        events = sum(p.events for p in reporting)  # type: ignore[misc]
        n = sum(p.n for p in reporting)
        missing = [p.arm.id for p in parts if not p.reported]
        if missing:
            notes.append(
                f"arm(s) {', '.join(missing)} did not report this outcome; combined over the "
                "reporting arm(s) only"
            )
    else:
        events, n = None, sum(p.arm.n for p in parts)
    if share > 1:
        notes.append(f"shared comparator split into {share} equal parts (events and n / {share})")
        events = None if events is None else events / share
        n = n / share
    records = [r for p in reporting for r in p.records]
    counted = [p.chosen.source_kind for p in reporting if p.chosen is not None]
    row = {
        "study": study.id,
        "comparison": comparison,
        "label": study.label,
        "outcome": outcome.id,
        "role": role,
        "arms": "+".join(p.arm.id for p in (reporting or parts)),
        "events": events,
        "n": n,
        "reported": bool(reporting),
        "terms": _join([r.term for r in records]),
        "sources": _join([r.source for r in records]),
        "locations": _join([r.location for r in records]),
        "quotes": _join([r.quote for r in records]),
        "note": "; ".join(notes),
        # the kinds of source of the counts used (the chosen row of each reporting arm)
        "source_kinds": source_kinds_code(counted),
        "follow_up_weeks": study.follow_up_weeks,
        # the arms the row's counts come from (every arm of the role when none reported)
        "population": population_code(p.arm for p in (reporting or parts)),
        "drug": drug_code(p.arm for p in (reporting or parts)),
        # how many randomised arms the counts combine (entries combining several count each)
        "randomised_arms": sum(p.arm.combines for p in (reporting or parts)),
    }
    return row, notes


def harmonise_study(study: Study, config: AnalysisConfig) -> tuple[list[dict], list[dict]]:
    """Map one study's reported terms to the configured outcomes and combine arms by role.

    Parameters
    ----------
    study : Study
        A validated study (see :func:`raremeta.io.raw_studies.load_study`).
    config : AnalysisConfig
        Outcomes (their terms), the multi-arm choice and the percentage tolerance.

    Returns
    -------
    rows : list of dict
        Keys :data:`HARMONISED_COLUMNS`; one per outcome (configured order), comparison and role.
    log : list of dict
        Keys :data:`LOG_COLUMNS`: unmapped terms, combined or split arms, double-counting
        risks and data-quality warnings.
    """
    rows: list[dict] = []
    log: list[dict] = []
    all_keys = config.term_outcomes
    events_file = f"{study.folder}/adverse_events.csv"
    for record in study.events:
        if normalise_term(record.term) not in all_keys:
            log.append(
                {
                    "kind": "unmapped_term",
                    "study": study.id,
                    "file": events_file,
                    "line": str(record.line),
                    "message": f"term '{record.term}' (arm '{record.arm}') counts for no "
                    "configured outcome",
                }
            )
    for role in ROLES:
        arms = study.arms_of(role)
        if len(arms) > 1:
            action = "combined" if config.multi_arm == "combine" else "kept separate (split)"
            log.append(
                {
                    "kind": "multi_arm",
                    "study": study.id,
                    "file": f"{study.folder}/study.yaml",
                    "line": "",
                    "message": f"{len(arms)} {role} arms {action}: {', '.join(a.id for a in arms)}",
                }
            )
    log += quality_warnings(study, config.percent_tolerance)
    if study.same_participants_as:
        log.append(
            {
                "kind": "same_participants",
                "study": study.id,
                "file": f"{study.folder}/study.yaml",
                "line": "",
                "message": f"reports the same participants as '{study.same_participants_as}': "
                "never pooled (that study counts)",
            }
        )
    for outcome in config.outcomes:
        parts = {
            role: [arm_outcome(study, a, outcome) for a in study.arms_of(role)] for role in ROLES
        }
        for part in parts[Role.CNI] + parts[Role.COMPARATOR]:
            if len(part.records) > 1:
                chosen_line = part.chosen.line if part.chosen else ""
                log.append(
                    {
                        "kind": "double_counting",
                        "study": study.id,
                        "file": events_file,
                        "line": ",".join(str(r.line) for r in part.records),
                        "message": f"arm '{part.arm.id}' reports several rows of outcome "
                        f"'{outcome.id}' ({'; '.join(_row_name(r) for r in part.records)}); "
                        f"events taken from line {chosen_line}, the largest single "
                        f"count ({part.events} of {part.n}), a lower bound: the sum could "
                        "count a patient twice",
                    }
                )
        if config.multi_arm == "split" and len(parts[Role.CNI]) > 1:
            share = len(parts[Role.CNI])
            for cni_part in parts[Role.CNI]:
                comparison = f"{study.id}:{cni_part.arm.id}"
                for role, role_parts, role_share in (
                    (Role.CNI, [cni_part], 1),
                    (Role.COMPARATOR, parts[Role.COMPARATOR], share),
                ):
                    row, _ = _role_row(study, comparison, outcome, role, role_parts, role_share)
                    rows.append(row)
        else:
            for role in ROLES:
                row, notes = _role_row(study, study.id, outcome, role, parts[role])
                rows.append(row)
                for note in notes:
                    log.append(
                        {
                            "kind": "partial_report",
                            "study": study.id,
                            "file": events_file,
                            "line": "",
                            "message": f"outcome '{outcome.id}', {role}: {note}",
                        }
                    )
    return rows, log


def sort_rows(rows: Iterable[dict], outcomes: list[str]) -> list[dict]:
    """Rows in the order of ``harmonised.csv``: configured outcome, study, comparison, role."""
    order = {o: i for i, o in enumerate(outcomes)}
    return sorted(rows, key=lambda r: (order[r["outcome"]], r["study"], r["comparison"], r["role"]))


def harmonise(studies: list[Study], config: AnalysisConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`harmonise_study` for every study, as the review-wide frames.

    Returns
    -------
    harmonised : DataFrame
        Columns :data:`HARMONISED_COLUMNS`, sorted by :func:`sort_rows`.
    log : DataFrame
        Columns :data:`LOG_COLUMNS`, study by study (sorted by id).
    """
    import pandas as pd

    rows: list[dict] = []
    log: list[dict] = []
    for study in sorted(studies, key=lambda s: s.id):
        study_rows, study_log = harmonise_study(study, config)
        rows += study_rows
        log += study_log
    rows = sort_rows(rows, [o.id for o in config.outcomes])
    return pd.DataFrame(rows, columns=HARMONISED_COLUMNS), pd.DataFrame(log, columns=LOG_COLUMNS)
