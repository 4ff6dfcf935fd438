"""ClinicalTrials.gov API v2 study records with results, read into the raw-data contract.

A record's ``resultsSection.adverseEventsModule`` lists event groups (not randomised arms: which
group is the CNI arm and which the comparator is the reviewer's decision, given as ``roles``)
and, per table (serious, other), terms with one ``stats`` entry per group: ``numAffected``
(participants with at least one event, what the contract counts; never ``numEvents``, the
occurrences) and ``numAtRisk`` (that term's denominator). The registry's semantics are kept:

- a term absent from a record is not reported, never zero, whatever the frequency threshold
  (no row is written for it);
- ``numAtRisk`` 0 means the group was not assessed for that table: no row, a note;
- a group given no role (e.g. "Not Assigned") is left out, with a note;
- a term listed twice in one table for one group keeps the entry with the most participants
  affected (never the sum), with a note;
- ``organSystem`` becomes the row's ``organ_system``, normalised to the MedDRA system organ
  class name (:mod:`raremeta.io.organ_systems`); a name that matches none is kept as given,
  with a note.

:data:`IMPORTER_VERSION` counts changes of what an import writes; ``registry_import.yaml``
records it, and ``raremeta refresh-ctgov`` re-imports a folder written by an older importer even
when its record is unchanged.

This module is pure: a parsed record in, an :class:`ImportedStudy` out; no file is read or
written here (see :mod:`raremeta.steps.registry_import`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.organ_systems import soc_name
from raremeta.io.raw_studies import SourceKind, is_iso_date

#: The two adverse-event tables of a record, by the name the raw contract's ``table`` uses.
TABLES = {"serious": "seriousEvents", "other": "otherEvents"}
ROLES = ("cni", "comparator")
#: Columns of the generated ``adverse_events.csv``.
EVENT_COLUMNS = [
    "arm",
    "term",
    "events",
    "n_at_risk",
    "table",
    "source",
    "location",
    "quote",
    "source_kind",
    "serious",
    "organ_system",
]
#: The version of what an import writes: 2 added ``organ_system``. A folder whose
#: ``registry_import.yaml`` records an older one (or none: version 1) is re-imported by
#: ``refresh-ctgov``.
IMPORTER_VERSION = 2


@dataclass(frozen=True)
class ImportedStudy:
    """A record converted: the study document, the event rows, and what was noted on the way.

    Attributes
    ----------
    study : dict
        The ``study.yaml`` document (keys in contract order).
    rows : list of dict
        ``adverse_events.csv`` rows, keyed by :data:`EVENT_COLUMNS`.
    notes : list of str
        Groups left out, tables not assessed, duplicate terms resolved.
    facts : dict
        Provenance facts: registry id, version holder, dates, frequency threshold, time frame,
        assessment types and vocabularies.
    """

    study: dict[str, Any]
    rows: list[dict[str, Any]]
    notes: list[str]
    facts: dict[str, Any]


def _get(record: Mapping[str, Any], *path: str) -> Any:
    value: Any = record
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


#: "52 weeks", "up to 2 years", "6 months": a time frame stated plainly, in one unit.
_TIME_FRAME = re.compile(r"^\s*(?:up to\s+)?(\d+(?:\.\d+)?)\s*(week|month|year)s?\s*$", re.I)
_WEEKS = {"week": 1.0, "month": 52.0 / 12.0, "year": 52.0}


def follow_up_weeks(time_frame: str | None) -> float | None:
    """Weeks of follow-up where the time frame states it plainly in one unit, else None.

    Examples
    --------
    >>> follow_up_weeks("6 months"), follow_up_weeks("4 years"), follow_up_weeks("variable")
    (26.0, 208.0, None)
    """
    found = _TIME_FRAME.match(time_frame or "")
    if not found:
        return None
    return round(float(found.group(1)) * _WEEKS[found.group(2).lower()], 1)


def group_listing(groups: Iterable[Any]) -> str:
    """The event groups as a reviewer needs them to choose roles: id, title, number at risk.

    Examples
    --------
    >>> group_listing([{"id": "EG001", "title": "Observation Arm", "seriousNumAtRisk": 0,
    ...                 "otherNumAtRisk": 64}])
    "EG001 'Observation Arm' (at risk: serious 0, other 64)"
    """
    shown = []
    for group in groups:
        if not isinstance(group, Mapping):
            continue
        counts = {table: _count(group.get(f"{table}NumAtRisk")) for table in TABLES}
        at_risk = ", ".join(
            f"{table} {'not stated' if n is None else n}" for table, n in counts.items()
        )
        title = str(group.get("title", "")).strip()
        shown.append(f"{group.get('id')} {title!r} (at risk: {at_risk})")
    return "; ".join(shown) or "none"


def record_content(record: Any) -> Any:
    """The record without its ``derivedSection.miscInfoModule.versionHolder``: the date of the
    registry's data release changes with every release, the record's content does not. Two
    fetches of an unchanged record compare equal this way.
    """
    if not isinstance(record, Mapping):
        return record
    content = dict(record)
    derived = content.get("derivedSection")
    if isinstance(derived, Mapping) and isinstance(derived.get("miscInfoModule"), Mapping):
        misc = {k: v for k, v in derived["miscInfoModule"].items() if k != "versionHolder"}
        content["derivedSection"] = {**derived, "miscInfoModule": misc}
    return content


def convert_record(
    record: Any,
    file: str,
    study_id: str,
    roles: Mapping[str, str],
    drugs: Mapping[str, str],
) -> ImportedStudy:
    """Convert one API v2 study record into the raw contract.

    Parameters
    ----------
    record : Any
        The parsed JSON record.
    file : str
        How messages name the record's file.
    study_id : str
        The study id (the folder name).
    roles : mapping
        Event-group id (``EG000``) -> ``cni`` or ``comparator``; groups not named are left out.
    drugs : mapping
        Event-group id -> the distinguishing drug; required for every group given a role.

    Raises
    ------
    InvalidInputError
        One problem per fault, naming the file and the field: no results section, an unknown
        group in ``roles`` or ``drugs``, a group with a role but no drug, a role without any
        group, a count above its at-risk count, a group with no one at risk.
    """
    problems: list[Problem] = []
    if not isinstance(record, Mapping) or not isinstance(record.get("protocolSection"), Mapping):
        raise InvalidInputError([Problem(file, "not a ClinicalTrials.gov API v2 study record")])
    module = _get(record, "resultsSection", "adverseEventsModule")
    if not isinstance(module, Mapping) or not isinstance(module.get("eventGroups"), list):
        raise InvalidInputError(
            [
                Problem(
                    file,
                    "the record has no adverse-event results (resultsSection."
                    "adverseEventsModule.eventGroups): nothing to import",
                    column="resultsSection",
                )
            ]
        )
    groups = {g.get("id"): g for g in module["eventGroups"] if isinstance(g, Mapping)}
    for option, given in (("--role", roles), ("--drug", drugs)):
        for group in given:
            if group not in groups:
                problems.append(
                    Problem(
                        file,
                        f"{option} names an event group the record does not have (its groups "
                        "are listed below)",
                        column="resultsSection.adverseEventsModule.eventGroups[].id",
                        value=group,
                    )
                )
    for group, role in roles.items():
        if role not in ROLES:
            problems.append(
                Problem(file, "--role must be cni or comparator", column="--role", value=role)
            )
        if group in groups and not drugs.get(group):
            problems.append(
                Problem(
                    file,
                    "a group given a role needs --drug GROUP=DRUG",
                    column="--drug",
                    value=group,
                )
            )
    for role in ROLES:
        if role not in roles.values():
            problems.append(
                Problem(
                    file,
                    f"no event group is given the role {role} (a comparison needs a cni and a "
                    "comparator group; the record's groups are listed below)",
                    column="--role",
                    value=role,
                )
            )
    if problems:
        problems.append(
            Problem(
                file,
                "--role and --drug must name the record's event groups (id 'title', number at "
                f"risk in the serious and other tables): {group_listing(groups.values())}",
                column="resultsSection.adverseEventsModule.eventGroups",
            )
        )
        raise InvalidInputError(problems)

    nct = _get(record, "protocolSection", "identificationModule", "nctId") or ""
    notes: list[str] = []
    arms = []
    for group_id, group in groups.items():
        if group_id not in roles:
            notes.append(f"event group {group_id} ({group.get('title', '')}) has no role: left out")
            continue
        at_risk = {t: _count(group.get(f"{t}NumAtRisk")) for t in TABLES}
        n = max((v for v in at_risk.values() if v is not None), default=0)
        if n < 1:
            problems.append(
                Problem(
                    file,
                    "no participant at risk in either table",
                    column=f"eventGroups[{group_id}].seriousNumAtRisk/otherNumAtRisk",
                    value=str(n),
                )
            )
            continue
        basis = "; ".join(f"{t} {v}" for t, v in at_risk.items() if v is not None)
        arms.append(
            {
                "id": group_id.lower(),
                "label": str(group.get("title", group_id)),
                "role": roles[group_id],
                "drug": drugs[group_id],
                "n": n,
                "n_basis": f"ClinicalTrials.gov {nct} results, adverse events: the larger of the "
                f"participants at risk in the serious and other tables ({basis})",
            }
        )

    version = _get(record, "derivedSection", "miscInfoModule", "versionHolder") or ""
    source = f"ClinicalTrials.gov {nct} results record (data version {version})"
    rows: list[dict[str, Any]] = []
    kept: dict[tuple[str, str, str], dict[str, Any]] = {}
    assessment, vocabularies = set(), set()
    unmatched_organs: set[str] = set()
    for table, key in TABLES.items():
        for index, event in enumerate(module.get(key) or []):
            if not isinstance(event, Mapping):
                continue
            term = str(event.get("term", "")).strip()
            organ = str(event.get("organSystem", "") or "")
            organ_system, matched = soc_name(organ)
            if not matched:
                unmatched_organs.add(organ.strip())
            vocabulary = str(event.get("sourceVocabulary") or "")
            if event.get("assessmentType"):
                assessment.add(str(event["assessmentType"]))
            if vocabulary:
                vocabularies.add(vocabulary)
            for stat in event.get("stats") or []:
                group_id = stat.get("groupId")
                if group_id not in roles or group_id not in groups:
                    continue
                affected, at_risk = _count(stat.get("numAffected")), _count(stat.get("numAtRisk"))
                where = f"{key}[{index}] ({term}), group {group_id}"
                if affected is None:
                    problems.append(
                        Problem(file, "numAffected is missing or not a whole number", None, where)
                    )
                    continue
                if at_risk == 0:
                    notes.append(
                        f"{table} table, {term}, group {group_id}: numAtRisk 0 (not assessed): "
                        "no row"
                    )
                    continue
                limit = at_risk if at_risk is not None else None
                if limit is not None and affected > limit:
                    problems.append(
                        Problem(
                            file,
                            f"numAffected is greater than numAtRisk ({at_risk})",
                            None,
                            where,
                            str(affected),
                        )
                    )
                    continue
                row = {
                    "arm": group_id.lower(),
                    "term": term,
                    "events": affected,
                    "n_at_risk": at_risk,
                    "table": table,
                    "source": source,
                    "location": f"{table} adverse events table; organ system: {organ}"
                    + (f"; vocabulary: {vocabulary}" if vocabulary else ""),
                    "quote": f"{term}: {affected} of {at_risk} participants affected "
                    f"({group_id}, {groups[group_id].get('title', '')})"
                    if at_risk is not None
                    else f"{term}: {affected} participants affected ({group_id})",
                    "source_kind": SourceKind.REGISTRY.value,
                    "serious": "yes" if table == "serious" else "no",
                    "organ_system": organ_system if organ.strip() else "",
                }
                duplicate = (group_id, term.casefold(), table)
                if duplicate in kept:
                    first = kept[duplicate]
                    better = (affected, at_risk or 0) > (first["events"], first["n_at_risk"] or 0)
                    notes.append(
                        f"{table} table lists {term} twice for group {group_id} "
                        f"({first['events']} and {affected} affected): kept "
                        f"{max(first['events'], affected)}, never the sum"
                    )
                    if better:
                        rows[rows.index(first)] = row
                        kept[duplicate] = row
                    continue
                kept[duplicate] = row
                rows.append(row)
    if problems:
        raise InvalidInputError(problems)
    notes += [
        f"organ system {name!r} is not a MedDRA system organ class name nor a known registry "
        "spelling of one: kept as given"
        for name in sorted(unmatched_organs)
    ]

    status = _get(record, "protocolSection", "statusModule") or {}
    posted = _get(status, "resultsFirstPostDateStruct", "date") or ""
    identification = _get(record, "protocolSection", "identificationModule") or {}
    label = identification.get("acronym") or identification.get("briefTitle") or nct
    study: dict[str, Any] = {
        "id": study_id,
        "label": str(label),
        "citation": f"{identification.get('briefTitle', nct)}. ClinicalTrials.gov {nct}, "
        f"results first posted {posted}.",
        "registry": nct,
    }
    if posted[:4].isdigit():
        study["year"] = int(posted[:4])
    time_frame = module.get("timeFrame")
    weeks = follow_up_weeks(time_frame)
    facts = {
        "registry": nct,
        "version_holder": version,
        "results_first_posted": posted,
        "last_update_posted": _get(status, "lastUpdatePostDateStruct", "date") or "",
        "frequency_threshold": module.get("frequencyThreshold", ""),
        "time_frame": time_frame or "",
        "follow_up_weeks": weeks,
        "assessment_types": sorted(assessment),
        "vocabularies": sorted(vocabularies),
    }
    if weeks is not None:
        study["follow_up_weeks"] = weeks
    if is_iso_date(version):
        study["data_as_of"] = version
    study["arms"] = arms
    return ImportedStudy(study, rows, notes, facts)
