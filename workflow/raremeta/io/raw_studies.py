"""The raw-data contract: one folder per trial under ``data/raw/``, read and validated.

A study folder holds ``study.yaml`` (the trial and its arms), ``adverse_events.csv`` (one row per
arm and reported term) and optionally ``characteristics.csv`` (baseline counts). A term absent
for an arm means "not reported", never zero. See ``data/raw/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.raw_csv import read_table
from raremeta.io.safe_yaml import load_yaml
from raremeta.io.schemas import schema_problems
from raremeta.io.terms import normalise_term

STUDY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
STUDY_FILE = "study.yaml"
EVENTS_FILE = "adverse_events.csv"
CHARACTERISTICS_FILE = "characteristics.csv"


class Role(StrEnum):
    """The role of an arm: the calcineurin-inhibitor arm or its comparator."""

    CNI = "cni"
    COMPARATOR = "comparator"


ROLES = (Role.CNI, Role.COMPARATOR)


class ReportingState(StrEnum):
    """The ``reported`` codes of ``reporting.csv``: whether any arm of each role reported an
    outcome (both roles, one role only, neither).
    """

    BOTH_ARMS = "both_arms"
    ONE_ARM = "one_arm"
    NEITHER = "neither"

    @classmethod
    def of(cls, cni: bool, comparator: bool) -> ReportingState:
        """The state of an outcome that the CNI role did (``cni``) or did not report, and the
        comparator role likewise (a role counts when any of its arms reported).
        """
        if cni and comparator:
            return cls.BOTH_ARMS
        return cls.ONE_ARM if cni or comparator else cls.NEITHER


class Population(StrEnum):
    """Which patients an arm's ``n`` counts (the optional arm field ``population``)."""

    SAFETY = "safety"  # the safety population: patients who received treatment
    RANDOMISED = "randomised"  # the number randomised
    OTHER = "other"


class ReportingDetail(StrEnum):
    """Why an arm has no count for an outcome (``detail`` in ``study.yaml``'s ``reporting:``).

    ``NOT_FOUND``: the sources reached do not mention the outcome; ``NOT_REPORTED``: a source
    says it was not collected or not reported for the arm. ``UNSPECIFIED`` is never written in
    ``study.yaml``: the tables use it for an arm that did not report and has no declared detail.
    """

    NOT_FOUND = "not_found"
    NOT_REPORTED = "not_reported"
    UNSPECIFIED = "unspecified"


#: The ORBIT classification letters accepted in ``reporting:`` (``orbit``): A-I classify
#: missing benefit outcomes (Kirkham et al., BMJ 2010;340:c365); the harm-outcome system of
#: Saini et al. (BMJ 2014;349:g6501) has 13 categories, A-M.
ORBIT_LETTERS = tuple("ABCDEFGHIJKLM")


@dataclass(frozen=True)
class ArmReportingNote:
    """What ``study.yaml`` says about one arm that has no count for one outcome."""

    outcome: str
    arm: str
    detail: ReportingDetail
    orbit: str = ""
    reason: str = ""


class SourceKind(StrEnum):
    """The kind of document a count comes from (``source_kind`` in ``adverse_events.csv``)."""

    PRIMARY = "primary"  # the trial's own report
    REGISTRY = "registry"  # registry results (e.g. imported by raremeta import-ctgov)
    SECONDARY = "secondary"  # a letter, a review
    NOT_STATED = "not_stated"  # the row gives none (an empty `source_kind`)


def is_iso_date(text: str) -> bool:
    """True for a calendar date written ``YYYY-MM-DD`` (what ``data_as_of`` accepts).

    Examples
    --------
    >>> is_iso_date("2026-11-24"), is_iso_date("2026-02-30"), is_iso_date("24/11/2026")
    (True, False, False)
    """
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Arm:
    """One randomised arm."""

    id: str
    label: str
    role: str
    drug: str
    n: int
    n_basis: str
    #: Which patients ``n`` counts; None when the study file does not state it.
    population: Population | None = None
    #: How many randomised arms this entry combines (``combines``; 1 when not stated).
    combines: int = 1
    #: The patient-level variable of the arm's ``subgroups`` ("" when none is declared).
    subgroup_variable: str = ""
    #: (group, patients) of the arm's ``subgroups``, in declared order (reference first).
    subgroups: tuple[tuple[str, int], ...] = ()

    def subgroup_n(self, group: str) -> int:
        """Patients of the declared subgroup ``group``."""
        return dict(self.subgroups)[group]


@dataclass(frozen=True)
class EventRecord:
    """One reported count: patients in one arm with at least one event of one term."""

    arm: str
    term: str
    events: int
    source: str
    line: int
    location: str = ""
    quote: str = ""
    source_kind: str = ""
    serious: str = ""
    reported_percent: float | None = None
    n_at_risk: int | None = None
    table: str = ""
    #: The patient subgroup the count is of ("" for the whole arm): see ``Study.subgroup_events``.
    subgroup: str = ""
    #: The term's organ system as written ("" when not given: unclassified).
    organ_system: str = ""


class PercentCheck(StrEnum):
    """How a characteristic's printed percentage compares with its count and denominator
    (``percent_check`` in ``results/tables/characteristics.csv``).
    """

    OK = "ok"  # agrees to within half a unit of its last printed digit (plus the tolerance)
    MISMATCH = "mismatch"  # disagrees: a data-quality warning
    NO_COUNT = "no_count"  # a percentage without a count: nothing to check
    NO_PERCENT = "no_percent"  # a count without a printed percentage: nothing to check


@dataclass(frozen=True)
class Characteristic:
    """A baseline count (not pooled), kept with its provenance for consistency checks."""

    population: str
    characteristic: str
    count: int | None
    denominator: int
    source: str
    line: int
    location: str = ""
    quote: str = ""
    source_kind: str = ""
    reported_percent: float | None = None


@dataclass(frozen=True)
class Study:
    """A validated trial: its description, arms, reported adverse events and characteristics."""

    id: str
    label: str
    citation: str
    arms: tuple[Arm, ...]
    events: tuple[EventRecord, ...]
    characteristics: tuple[Characteristic, ...] = ()
    doi: str = ""
    registry: str = ""
    year: int | None = None
    notes: str = ""
    folder: str = ""
    same_participants_as: str = ""
    follow_up_weeks: float | None = None
    data_as_of: str = ""
    #: ``reporting:`` of ``study.yaml``: why an outcome has no count for an arm.
    reporting: tuple[ArmReportingNote, ...] = ()
    #: ``subgroups:`` of ``study.yaml``: (variable, value) of each study-level subgroup
    #: variable the study gives, in file order.
    subgroups: tuple[tuple[str, str], ...] = ()
    #: The rows of ``adverse_events.csv`` with a ``subgroup``: never in :attr:`events`, so
    #: harmonisation (the arm's counts) never sees them; only the within-trial interaction
    #: reads them.
    subgroup_events: tuple[EventRecord, ...] = ()

    @property
    def subgroup_variable(self) -> str:
        """The patient-level variable of the arms' ``subgroups`` ("" when none declares one)."""
        return next((a.subgroup_variable for a in self.arms if a.subgroup_variable), "")

    def arm(self, arm_id: str) -> Arm:
        """Return the arm with this id."""
        return next(a for a in self.arms if a.id == arm_id)

    def arms_of(self, role: str) -> tuple[Arm, ...]:
        """Return the arms with this role ('cni' or 'comparator'), in declaration order."""
        return tuple(a for a in self.arms if a.role == role)


def _text(values: dict, key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value)


def _study_yaml(folder: Path, shown: str) -> tuple[dict | None, list[Problem]]:
    path = folder / STUDY_FILE
    name = f"{shown}/{STUDY_FILE}"
    if not path.is_file():
        return None, [Problem(name, "file is missing; every study folder needs one")]
    try:
        document = load_yaml(path, name)
    except InvalidInputError as err:
        return None, err.problems
    if document is None:
        return None, [Problem(name, "file is empty")]
    problems = schema_problems(document, "study", name)
    if problems:
        return None, problems
    if document["id"] != folder.name:
        problems.append(
            Problem(
                name,
                f"id must equal the folder name '{folder.name}'",
                column="id",
                value=document["id"],
            )
        )
    if document.get("same_participants_as") == document["id"]:
        problems.append(
            Problem(
                name,
                "a study cannot report the same participants as itself",
                column="same_participants_as",
                value=document["id"],
            )
        )
    if "data_as_of" in document and not is_iso_date(document["data_as_of"]):
        problems.append(
            Problem(
                name,
                "data_as_of is not a calendar date (YYYY-MM-DD)",
                column="data_as_of",
                value=document["data_as_of"],
            )
        )
    seen: set[str] = set()
    for index, arm in enumerate(document["arms"]):
        if arm["id"] in seen:
            problems.append(
                Problem(
                    name, "arm id is declared twice", column=f"arms[{index}].id", value=arm["id"]
                )
            )
        seen.add(arm["id"])
    declared = list(dict.fromkeys(arm["id"] for arm in document["arms"]))
    for outcome, by_arm in document.get("reporting", {}).items():
        for arm_id in by_arm:
            if arm_id not in declared:
                problems.append(
                    Problem(
                        name,
                        f"arm is not declared in arms (declared: {', '.join(declared)})",
                        column=f"reporting.{outcome}",
                        value=arm_id,
                    )
                )
    problems += _subgroup_problems(document, name)
    roles = {arm["role"] for arm in document["arms"]}
    for role in ROLES:
        if role not in roles:
            problems.append(
                Problem(
                    name,
                    f"no arm has role '{role}'; a study needs a CNI and a comparator arm",
                    column="arms",
                )
            )
    return (None if problems else document), problems


def _subgroup_problems(document: dict, name: str) -> list[Problem]:
    """The arms' ``patient_subgroups``: one variable across the study's arms, groups summing to no
    more than the arm's ``n`` (fewer is allowed: patients whose group is not known).
    """
    problems = []
    variables = {
        a["patient_subgroups"]["variable"] for a in document["arms"] if "patient_subgroups" in a
    }
    for index, arm in enumerate(document["arms"]):
        declared = arm.get("patient_subgroups")
        if declared is None:
            continue
        if len(variables) > 1:
            problems.append(
                Problem(
                    name,
                    "arms declare subgroups of different variables "
                    f"({', '.join(sorted(variables))}); one variable per study",
                    column=f"arms[{index}].patient_subgroups.variable",
                    value=declared["variable"],
                )
            )
        total = sum(declared["groups"].values())
        if total > arm["n"]:
            problems.append(
                Problem(
                    name,
                    f"subgroup sizes sum to {total}, more than the arm's n ({arm['n']}); a "
                    "patient belongs to one group",
                    column=f"arms[{index}].patient_subgroups.groups",
                    value=str(total),
                )
            )
    return problems


def _subgroup_row_problem(arm: Arm, v: dict, file: str, line: int) -> Problem | None:
    """Why a row with a ``subgroup`` is refused, or None: the arm declares no such group, the
    row gives its own ``n_at_risk``, or its events exceed the group's patients.
    """
    group = v["subgroup"]
    groups = dict(arm.subgroups)
    if group not in groups:
        declared = ", ".join(groups) if groups else "none"
        return Problem(
            file,
            f"subgroup is not declared under arm '{arm.id}' patient_subgroups in {STUDY_FILE} "
            f"(declared: {declared})",
            line,
            "subgroup",
            group,
        )
    if v.get("n_at_risk") is not None:
        return Problem(
            file,
            "n_at_risk must be empty on a subgroup row (its denominator is the group's n "
            f"in {STUDY_FILE})",
            line,
            "n_at_risk",
            str(v["n_at_risk"]),
        )
    if v["events"] > groups[group]:
        return Problem(
            file,
            f"events is greater than subgroup '{group}' of arm '{arm.id}' ({groups[group]} "
            "patients)",
            line,
            "events",
            str(v["events"]),
        )
    return None


def load_study(folder: Path, shown: str | None = None) -> Study:
    """Read and validate one study folder.

    Parameters
    ----------
    folder : Path
        ``data/raw/<study_id>``.
    shown : str, optional
        How to name the folder in messages (defaults to ``str(folder)``).

    Returns
    -------
    Study

    Raises
    ------
    InvalidInputError
        With every problem found in the folder's files.
    """
    shown = shown or str(folder)
    document, problems = _study_yaml(folder, shown)
    events_name = f"{shown}/{EVENTS_FILE}"
    if not (folder / EVENTS_FILE).is_file():
        problems.append(Problem(events_name, "file is missing; every study folder needs one"))
        raise InvalidInputError(problems)
    rows, table_problems = read_table(folder / EVENTS_FILE, "adverse_events", events_name)
    problems += table_problems
    characteristics: list[Characteristic] = []
    if (folder / CHARACTERISTICS_FILE).is_file():
        char_name = f"{shown}/{CHARACTERISTICS_FILE}"
        char_rows, char_problems = read_table(
            folder / CHARACTERISTICS_FILE, "characteristics", char_name
        )
        problems += char_problems
        for row in char_rows:
            v = row.values
            if v.get("count") is not None and v["count"] > v["denominator"]:
                problems.append(
                    Problem(
                        char_name,
                        f"count is greater than the denominator {v['denominator']}",
                        row.line,
                        "count",
                        str(v["count"]),
                    )
                )
                continue
            characteristics.append(
                Characteristic(
                    population=v["population"],
                    characteristic=v["characteristic"],
                    count=v.get("count"),
                    denominator=v["denominator"],
                    source=v["source"],
                    line=row.line,
                    location=_text(v, "location"),
                    quote=_text(v, "quote"),
                    source_kind=_text(v, "source_kind"),
                    reported_percent=v.get("reported_percent"),
                )
            )
    if document is None:
        raise InvalidInputError(problems)
    arms = tuple(
        Arm(
            a["id"],
            a["label"],
            a["role"],
            a["drug"],
            a["n"],
            a["n_basis"],
            Population(a["population"]) if "population" in a else None,
            int(a.get("combines", 1)),
            a.get("patient_subgroups", {}).get("variable", ""),
            tuple(a.get("patient_subgroups", {}).get("groups", {}).items()),
        )
        for a in document["arms"]
    )
    reporting = tuple(
        ArmReportingNote(
            outcome,
            arm_id,
            ReportingDetail(note["detail"]),
            note.get("orbit", ""),
            note.get("reason", ""),
        )
        for outcome, by_arm in document.get("reporting", {}).items()
        for arm_id, note in by_arm.items()
    )
    by_id = {a.id: a for a in arms}
    events: list[EventRecord] = []
    subgroup_events: list[EventRecord] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        v = row.values
        arm = by_id.get(v["arm"])
        if arm is None:
            problems.append(
                Problem(
                    events_name,
                    f"arm is not declared in {STUDY_FILE} (declared: {', '.join(by_id)})",
                    row.line,
                    "arm",
                    v["arm"],
                )
            )
            continue
        at_risk = v.get("n_at_risk")
        group = _text(v, "subgroup")
        if group:
            problem = _subgroup_row_problem(arm, v, events_name, row.line)
            if problem is not None:
                problems.append(problem)
                continue
        elif at_risk is not None and at_risk > arm.n:
            problems.append(
                Problem(
                    events_name,
                    f"n_at_risk is greater than the arm's n ({arm.n} patients)",
                    row.line,
                    "n_at_risk",
                    str(at_risk),
                )
            )
            continue
        if not group and v["events"] > (arm.n if at_risk is None else at_risk):
            problems.append(
                Problem(
                    events_name,
                    f"events is greater than the arm's n ({arm.n} patients at risk)"
                    if at_risk is None
                    else f"events is greater than the row's n_at_risk ({at_risk})",
                    row.line,
                    "events",
                    str(v["events"]),
                )
            )
            continue
        table = _text(v, "table")
        key = (v["arm"], normalise_term(v["term"]), table, group)
        if key in seen:
            in_table = f" in table '{table}'" if table else ""
            in_table += f" for subgroup '{group}'" if group else ""
            problems.append(
                Problem(
                    events_name,
                    f"arm '{v['arm']}' and term already given{in_table} on line {seen[key]} "
                    "(terms are compared ignoring case, spacing and hyphens)",
                    row.line,
                    "term",
                    v["term"],
                )
            )
            continue
        seen[key] = row.line
        (subgroup_events if group else events).append(
            EventRecord(
                arm=v["arm"],
                term=v["term"],
                events=v["events"],
                source=v["source"],
                line=row.line,
                location=_text(v, "location"),
                quote=_text(v, "quote"),
                source_kind=_text(v, "source_kind"),
                serious=_text(v, "serious"),
                reported_percent=v.get("reported_percent"),
                n_at_risk=at_risk,
                table=table,
                subgroup=group,
                organ_system=_text(v, "organ_system"),
            )
        )
    if problems:
        raise InvalidInputError(problems)
    return Study(
        id=document["id"],
        label=document["label"],
        citation=document["citation"],
        arms=arms,
        events=tuple(events),
        characteristics=tuple(characteristics),
        doi=document.get("doi", ""),
        registry=document.get("registry", ""),
        year=document.get("year"),
        notes=document.get("notes", ""),
        same_participants_as=document.get("same_participants_as", ""),
        follow_up_weeks=document.get("follow_up_weeks"),
        data_as_of=document.get("data_as_of", ""),
        reporting=reporting,
        folder=shown,
        subgroups=tuple((str(k), str(v).strip()) for k, v in document.get("subgroups", {}).items()),
        subgroup_events=tuple(subgroup_events),
    )


def study_folders(raw_dir: Path) -> list[Path]:
    """Return the study folders under ``raw_dir`` in sorted order (files there are ignored)."""
    return sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_study_folders(folders: list[Path], shown: dict[Path, str] | None = None) -> list[Study]:
    """Read and validate the given study folders, collecting every problem before raising.

    Folder names must be valid study ids (``^[a-z0-9][a-z0-9_-]*$``).

    Raises
    ------
    InvalidInputError
        With every problem found.
    """
    problems: list[Problem] = []
    studies: list[Study] = []
    for folder in folders:
        name = (shown or {}).get(folder, str(folder))
        if not STUDY_ID.match(folder.name):
            problems.append(
                Problem(
                    name,
                    "folder name is not a valid study id (lower case letters, digits, "
                    "'-' and '_', starting with a letter or digit)",
                    value=folder.name,
                )
            )
            continue
        try:
            studies.append(load_study(folder, name))
        except InvalidInputError as err:
            problems += err.problems
    if problems:
        raise InvalidInputError(problems)
    return studies


def load_studies(raw_dir: Path, shown: str | None = None) -> list[Study]:
    """Read and validate every study folder under ``raw_dir`` (see :func:`load_study_folders`).

    Raises
    ------
    InvalidInputError
        With every problem found, or if ``raw_dir`` does not exist.
    """
    shown = shown or str(raw_dir)
    if not raw_dir.is_dir():
        raise InvalidInputError([Problem(shown, "raw-data folder does not exist")])
    folders = study_folders(raw_dir)
    return load_study_folders(folders, {f: f"{shown}/{f.name}" for f in folders})


def _registry_ids(text: str) -> set[str]:
    """The ids in a ``registry`` field (tokens with a digit: ``NCT02141672``,
    ``2012-003364-51``; words such as ``EudraCT`` are labels, not ids).
    """
    return {t.upper() for t in re.split(r"[;,\s]+", text or "") if re.search(r"\d", t)}


def linked_study_problems(studies: list[dict], raw_dir: str = "data/raw") -> list[Problem]:
    """Problems across study folders: a ``same_participants_as`` naming no study folder, and
    two folders naming the same registry id without either linking to the other (or both to
    one study) through ``same_participants_as``.

    ``studies`` are dicts with ``study``, ``registry`` and ``same_participants_as``.
    """
    problems = []
    ids = {s["study"] for s in studies}
    link = {s["study"]: s.get("same_participants_as", "") for s in studies}
    for s in studies:
        target = link[s["study"]]
        if target and target not in ids:
            problems.append(
                Problem(
                    f"{raw_dir}/{s['study']}/{STUDY_FILE}",
                    "same_participants_as names no study folder",
                    column="same_participants_as",
                    value=target,
                )
            )
    ordered = sorted(studies, key=lambda s: s["study"])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            shared = _registry_ids(a.get("registry", "")) & _registry_ids(b.get("registry", ""))
            root_a = link[a["study"]] or a["study"]
            root_b = link[b["study"]] or b["study"]
            if shared and root_a != root_b:
                problems.append(
                    Problem(
                        f"{raw_dir}/{b['study']}/{STUDY_FILE}",
                        f"registry id also named by study '{a['study']}': if they report the "
                        "same participants, add same_participants_as to the later report "
                        "(it is then not pooled)",
                        column="registry",
                        value=", ".join(sorted(shared)),
                    )
                )
    return problems
