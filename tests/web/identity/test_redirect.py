"""The return address after signing in stays on this site and inside the page's parts: every
form of "another site" a browser would follow is refused (web/identity/redirect.py)."""

from __future__ import annotations

import pytest

from web.identity.redirect import safe_next

ATTACKS = [
    "https://evil.example/",
    "//evil.example/staff/",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " /staff/",
    "javascript:alert(1)",
    "/staff/\\..\\\\evil.example",
    "staff/",
    "",
]


@pytest.mark.parametrize("target", ATTACKS)
def test_an_address_off_the_site_falls_back_to_the_parts_home(target: str):
    assert safe_next(target, "/staff/", ("/staff/",)) == "/staff/"


def test_a_path_of_another_part_falls_back_to_the_parts_home():
    assert safe_next("/book/evil", "/helpdesk/", ("/helpdesk/", "/usterki/")) == "/helpdesk/"
    assert safe_next(None, "/helpdesk/") == "/helpdesk/"


def test_a_path_of_the_part_with_its_query_is_kept():
    assert safe_next("/usterki/5?tab=history", "/helpdesk/") == "/usterki/5?tab=history"
    assert safe_next("/admin/services", "/staff/", ("/staff/", "/admin/")) == "/admin/services"
