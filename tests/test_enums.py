"""Labelled enums: one place for a stored value and the words shown for it, and the link-table helpers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from coordinator.dbtypes import sync_links
from coordinator.enums import LabelledEnum, LabelOf, sql_in
from coordinator.hiring.models import CandidateStage
from coordinator.loops.kinds import SessionKind


class Colour(LabelledEnum):
    DARK_RED = "dark_red", "Dark red"
    BLUE = "blue", "Blue"


def test_a_member_is_its_stored_value_and_carries_its_label():
    assert Colour.DARK_RED == "dark_red" and Colour("dark_red") is Colour.DARK_RED
    assert Colour.DARK_RED.value == "dark_red" and f"{Colour.DARK_RED}" == "dark_red"
    assert Colour.DARK_RED.label == "Dark red"
    assert Colour.choices() == [("dark_red", "Dark red"), ("blue", "Blue")]
    assert sql_in(Colour) == "'dark_red', 'blue'"


def test_label_of_falls_back_to_the_value_it_does_not_know():
    assert SessionKind.label_of("one_on_one") == "One-on-one"
    assert SessionKind.label_of("workshop") == "workshop"


def test_label_of_attribute_reads_the_label_of_the_stored_value():
    class Row(SimpleNamespace):
        stage_label = LabelOf("stage", CandidateStage)

    assert Row(stage="debrief").stage_label == "In debrief"
    assert Row(stage=None).stage_label == "" and Row(stage="").stage_label == ""
    assert isinstance(Row.stage_label, LabelOf)
    with pytest.raises(ValueError):
        _ = Row(stage="unknown").stage_label


def test_sync_links_drops_adds_and_renumbers_in_the_wanted_order():
    rows = {1: SimpleNamespace(key=1, position=0), 2: SimpleNamespace(key=2, position=1),
            3: SimpleNamespace(key=3, position=2)}
    added, dropped = [], []
    sync_links(rows, [3, 4, 1], lambda key, at: added.append((key, at)), dropped.append)
    assert dropped == [rows[2]] and added == [(4, 1)]
    assert (rows[3].position, rows[1].position) == (0, 2)


def test_sync_links_leaves_an_unordered_table_unnumbered():
    rows = {1: SimpleNamespace(key=1)}
    added = []
    sync_links(rows, [2, 1], lambda key, at: added.append(key), lambda row: None, ordered=False)
    assert added == [2] and not hasattr(rows[1], "position")
