"""The dictionary a report is classified and routed by (Procedura § 7, the annex): departments,
their coordinator and realizer groups, categories and subcategories with their own fields."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.faults import tables as t


@dataclass(frozen=True)
class Attribute:
    """A subcategory's own field (an Open311 attribute)."""

    code: str
    description: str
    datatype: str = "string"  # string | number
    required: bool = False


@dataclass
class Subcategory:
    id: int
    code: str
    name: str
    category_id: int
    coordinator_group_id: int | None
    attributes: list[Attribute]


@dataclass
class Category:
    id: int
    code: str
    name: str
    subcategories: list[Subcategory] = field(default_factory=list)


@dataclass
class Dictionary:
    categories: list[Category]
    groups: list[Any]
    departments: list[Any]

    @property
    def subcategories(self) -> dict[int, Subcategory]:
        return {s.id: s for c in self.categories for s in c.subcategories}

    def by_code(self, code: str) -> Subcategory | None:
        return next((s for s in self.subcategories.values() if s.code == code), None)

    def groups_of(self, kind: str) -> list[Any]:
        """Groups a report can be routed to now (a deactivated one keeps its name in history)."""
        return [g for g in self.groups if g.kind == kind and g.active]

    def group_name(self, group_id: int | None) -> str:
        return next((g.name for g in self.groups if g.id == group_id), "")

    def department_name(self, department_id: int | None) -> str:
        return next((d.name for d in self.departments if d.id == department_id), "")


def attributes_of(raw: str) -> list[Attribute]:
    return [
        Attribute(a["code"], a["description"], a.get("datatype", "string"), bool(a.get("required")))
        for a in json.loads(raw or "[]")
    ]


async def load(engine: AsyncEngine) -> Dictionary:
    async with engine.connect() as conn:
        cats = list(
            await conn.execute(
                select(t.categories)
                .where(t.categories.c.active.is_(True))
                .order_by(t.categories.c.name)
            )
        )
        subs = list(
            await conn.execute(
                select(t.subcategories)
                .where(t.subcategories.c.active.is_(True))
                .order_by(t.subcategories.c.name)
            )
        )
        groups = list(await conn.execute(select(t.groups).order_by(t.groups.c.name)))
        deps = list(await conn.execute(select(t.departments).order_by(t.departments.c.name)))
    categories = {c.id: Category(c.id, c.code, c.name) for c in cats}
    for s in subs:
        if s.category_id in categories:
            categories[s.category_id].subcategories.append(
                Subcategory(
                    s.id,
                    s.code,
                    s.name,
                    s.category_id,
                    s.coordinator_group_id,
                    attributes_of(s.attributes),
                )
            )
    return Dictionary([c for c in categories.values() if c.subcategories], groups, deps)
