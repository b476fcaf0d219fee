"""Coverage rules: does a loop (or a job's interview plan) assess every focus area once, by qualified people?

Plain functions over plain data, no Flask and no database: `kits.services` (and `focus.services`, for a job's plan)
builds the slots from the rows, and the tests call these directly.

A *slot* is one assessor in one session: a named interviewer, or an interviewer the engine will pick from the
session's pool at booking (not known yet). The rules:

- every focus area of the job is covered by at least one slot;
- an area is covered once, except by the members of one panel (who assess together);
- an interviewer has at most 3 focus areas in a session (and at least one);
- an interviewer assesses only areas they are qualified for (a trainee who is still shadowing is not);
- an interviewer assesses only areas the job uses;
- the loop's questions are not all of one kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from coordinator.focus.question_kind import QuestionKind

__all__ = [
    "MAX_AREAS_PER_INTERVIEWER",
    "Area",
    "Coverage",
    "CoverageWarning",
    "QuestionInfo",
    "Slot",
    "check_coverage",
    "suggest_areas",
    "suggest_questions",
]

MAX_AREAS_PER_INTERVIEWER = 3
PANEL = "panel"


@dataclass(frozen=True)
class Area:
    id: int
    name: str


@dataclass(frozen=True)
class Slot:
    """One assessor in one session."""

    session_id: int
    session_title: str
    session_kind: str
    #: None for an interviewer still to be picked from the session's pool
    user_id: int | None
    name: str
    #: the areas this slot assesses
    area_ids: tuple[int, ...] = ()
    #: the kinds of the questions this slot asks
    question_kinds: tuple[str, ...] = ()
    #: True when the areas are the session's planned ones, not an explicit assignment
    is_default: bool = False
    #: areas the person is qualified to assess
    qualified: frozenset[int] = frozenset()
    #: areas the person is still shadowing (a trainee)
    shadowing: frozenset[int] = frozenset()

    @property
    def is_pool(self) -> bool:
        return self.user_id is None

    @property
    def where(self) -> str:
        return f"{self.name} ({self.session_title})"


@dataclass(frozen=True)
class CoverageWarning:
    """One thing wrong with the coverage, in words, with what it is about."""

    #: uncovered | unqualified | shadowing | too_many | no_area | duplicate | not_job_area | one_kind
    code: str
    message: str
    area_id: int | None = None
    slot_index: int | None = None


@dataclass(frozen=True)
class Coverage:
    areas: tuple[Area, ...]
    slots: tuple[Slot, ...]
    warnings: tuple[CoverageWarning, ...]
    #: areas some slot assesses that the job does not use
    extra_areas: tuple[Area, ...] = ()
    _by_area: Mapping[int, tuple[int, ...]] = field(default_factory=dict, repr=False)

    def covering(self, area_id: int) -> tuple[int, ...]:
        """The indexes of the slots that assess the area."""
        return self._by_area.get(area_id, ())

    @property
    def uncovered(self) -> list[Area]:
        return [a for a in self.areas if not self.covering(a.id)]

    def warnings_for(self, *codes: str) -> list[CoverageWarning]:
        return [w for w in self.warnings if w.code in codes]

    def cell_problem(self, area_id: int, index: int) -> str | None:
        """'unqualified', 'shadowing' or 'not_job_area' when the slot should not assess that area."""
        for w in self.warnings:
            if w.slot_index == index and w.area_id == area_id and w.code in ("unqualified", "shadowing",
                                                                             "not_job_area"):
                return w.code
        return None


def _times(n: int) -> str:
    return "twice" if n == 2 else f"{n} times"


def _join(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def check_coverage(areas: Sequence[Area], slots: Sequence[Slot], other_areas: Mapping[int, str] | None = None
                   ) -> Coverage:
    """Apply every coverage rule. `areas` are the job's, in order; `other_areas` names areas a slot may assess
    that the job does not use (so the message can name them)."""
    job_ids = {a.id for a in areas}
    names = {a.id: a.name for a in areas} | dict(other_areas or {})
    by_area: dict[int, list[int]] = {}
    for index, slot in enumerate(slots):
        for area_id in dict.fromkeys(slot.area_ids):
            by_area.setdefault(area_id, []).append(index)

    def name_of(area_id: int) -> str:
        return names.get(area_id, "an unknown area")

    warnings: list[CoverageWarning] = []
    for area in areas:
        if area.id not in by_area:
            warnings.append(CoverageWarning("uncovered", f"Nobody covers {area.name}.", area.id))
    for index, slot in enumerate(slots):
        if slot.is_pool:
            continue
        for area_id in slot.area_ids:
            if area_id not in job_ids:
                continue
            if area_id in slot.shadowing:
                warnings.append(CoverageWarning(
                    "shadowing", f"{slot.name} is still shadowing for {name_of(area_id)} and should not assess it "
                                 f"yet ({slot.session_title}).", area_id, index))
            elif area_id not in slot.qualified:
                warnings.append(CoverageWarning(
                    "unqualified", f"{slot.name} is not qualified to assess {name_of(area_id)} "
                                   f"({slot.session_title}).", area_id, index))
    for index, slot in enumerate(slots):
        count = len(set(slot.area_ids))
        if count > MAX_AREAS_PER_INTERVIEWER:
            who = slot.name if not slot.is_pool else "The interviewer picked from the pool"
            warnings.append(CoverageWarning(
                "too_many", f"{who} has {count} focus areas in {slot.session_title}; give at most "
                            f"{MAX_AREAS_PER_INTERVIEWER} so each gets real depth.", None, index))
        elif count == 0 and areas:
            who = slot.name if not slot.is_pool else "The interviewer picked from the pool"
            warnings.append(CoverageWarning(
                "no_area", f"{who} has no focus area in {slot.session_title} yet.", None, index))
    for area in areas:
        indexes = by_area.get(area.id, [])
        if len(indexes) < 2:
            continue
        sessions = {slots[i].session_id for i in indexes}
        one_panel = len(sessions) == 1 and slots[indexes[0]].session_kind == PANEL
        if not one_panel:
            warnings.append(CoverageWarning(
                "duplicate", f"{area.name} is covered {_times(len(indexes))} outside a panel: "
                             f"{_join([slots[i].where for i in indexes])}.", area.id))
    extra: dict[int, Area] = {}
    for index, slot in enumerate(slots):
        for area_id in slot.area_ids:
            if area_id not in job_ids:
                extra.setdefault(area_id, Area(area_id, name_of(area_id)))
                warnings.append(CoverageWarning(
                    "not_job_area", f"{slot.name} assesses {name_of(area_id)}, which this job does not use "
                                    f"({slot.session_title}).", area_id, index))
    kinds = [k for slot in slots for k in slot.question_kinds]
    if len(kinds) >= 2 and len(set(kinds)) == 1:
        kind = QuestionKind(kinds[0])
        others = [k.label.lower() for k in QuestionKind if k != kind]
        warnings.append(CoverageWarning(
            "one_kind", f"Every question in this loop is {kind.label.lower()}; mix in {' or '.join(others)} "
                        "questions."))
    return Coverage(areas=tuple(areas), slots=tuple(slots), warnings=tuple(warnings),
                    extra_areas=tuple(extra.values()), _by_area={k: tuple(v) for k, v in by_area.items()})


def suggest_areas(areas: Sequence[Area], slots: Sequence[Slot],
                  planned: Mapping[int, Sequence[int]] | None = None) -> list[tuple[int, ...]]:
    """Focus areas for every slot so that each of the job's areas is covered once.

    Pool slots keep what they have (nobody is known yet); those with nothing take the areas left uncovered.
    Each area goes to one named interviewer, preferring,
    in order: someone qualified (not shadowing), in a session planned to cover it, who has it already, with the
    fewest areas so far, in an earlier session. The scarcest areas (fewest qualified people) are placed first.
    Nobody gets more than 3 areas. An interviewer left without an area then takes one over from a colleague
    with two or more (one they are qualified for), and a panel member shares a panel colleague's areas.
    """
    planned = planned or {}
    result: dict[int, list[int]] = {i: [] for i, s in enumerate(slots) if not s.is_pool}
    fixed = {a for s in slots if s.is_pool for a in s.area_ids}
    named = list(result)

    def qualified(i: int, area_id: int) -> bool:
        return area_id in slots[i].qualified and area_id not in slots[i].shadowing

    def scarcity(area: Area) -> tuple[int, int]:
        return sum(qualified(i, area.id) for i in named), [a.id for a in areas].index(area.id)

    for area in sorted((a for a in areas if a.id not in fixed), key=scarcity):
        open_slots = [i for i in named if len(result[i]) < MAX_AREAS_PER_INTERVIEWER]
        if not open_slots:
            break
        best = min(open_slots, key=lambda i: (
            not qualified(i, area.id),
            area.id not in planned.get(slots[i].session_id, ()),
            area.id not in slots[i].area_ids,
            len(result[i]),
            i,
        ))
        result[best].append(area.id)
    # Nobody without an area while a colleague has two or more they could share.
    for empty in [i for i in named if not result[i]]:
        for donor in sorted(named, key=lambda i: -len(result[i])):
            if len(result[donor]) < 2:
                break
            movable = [a for a in result[donor] if qualified(empty, a)]
            if movable:
                result[donor].remove(movable[-1])
                result[empty].append(movable[-1])
                break
    for i in named:
        if not result[i] and slots[i].session_kind == PANEL:
            mates = [j for j in named if j != i and slots[j].session_id == slots[i].session_id and result[j]]
            if mates:
                result[i] = list(result[mates[0]])
    # Areas nobody named covers go to pool slots that have none yet (their session plans them; the pick gets
    # them at booking), those planned for the slot's session first, at most three each.
    open_pool = [i for i, s in enumerate(slots) if s.is_pool and not s.area_ids]
    covered = fixed | {a for i in named for a in result[i]}
    for i in open_pool:
        result[i] = []
    for area in areas:
        if area.id in covered or not open_pool:
            continue
        room = [i for i in open_pool if len(result[i]) < MAX_AREAS_PER_INTERVIEWER]
        if not room:
            break
        best = min(room, key=lambda i: (area.id not in planned.get(slots[i].session_id, ()), len(result[i]), i))
        result[best].append(area.id)
    order = {a.id: n for n, a in enumerate(areas)}
    return [tuple(sorted(result[i], key=lambda a: order.get(a, 0))) if i in result else tuple(s.area_ids)
            for i, s in enumerate(slots)]


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    area_id: int
    kind: str


def suggest_questions(area_ids: Sequence[int], current: Sequence[QuestionInfo], bank: Sequence[QuestionInfo],
                      taken: set[int] | frozenset[int] = frozenset(), kinds_in_loop: Sequence[str] = (),
                      per_area: int = 2) -> list[int]:
    """Questions for one interviewer: keep the current ones that fit their areas, then fill each area up to
    `per_area` from the bank, skipping questions others in the loop already ask (`taken`) and preferring
    kinds the loop has least of, so the loop does not end up all one kind."""
    chosen = [q for q in current if q.area_id in area_ids]
    kind_count = {k.value: 0 for k in QuestionKind}
    for k in [*kinds_in_loop, *(q.kind for q in chosen)]:
        kind_count[k] = kind_count.get(k, 0) + 1
    chosen_ids = {q.id for q in chosen}
    for area_id in area_ids:
        have = sum(q.area_id == area_id for q in chosen)
        options = [q for q in bank if q.area_id == area_id and q.id not in chosen_ids and q.id not in taken]
        while have < per_area and options:
            pick = min(options, key=lambda q: (kind_count.get(q.kind, 0), options.index(q)))
            options.remove(pick)
            chosen.append(pick)
            chosen_ids.add(pick.id)
            kind_count[pick.kind] = kind_count.get(pick.kind, 0) + 1
            have += 1
    order = {a: n for n, a in enumerate(area_ids)}
    return [q.id for q in sorted(chosen, key=lambda q: order.get(q.area_id, 0))]
