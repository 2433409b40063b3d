"""The "Pomoc zdalna" page's pure parts: the configured download link is an http(s) address
or refused at start, and the administrator's FAQ is rendered with every tag escaped."""

from __future__ import annotations

import pytest

from web.helpdesk.remote_help import HelpError, check_remote_url, file_name, render_faq


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "ftp://x.example/a.exe", "pomoc.exe", "https://", "http://a b"]
)
def test_only_an_http_address_is_taken_as_the_download_link(bad: str):
    with pytest.raises(HelpError):
        check_remote_url(bad)


def test_the_link_shows_its_files_name():
    url = check_remote_url(" https://cum.example/pliki/PomocZdalna.exe ")
    assert url == "https://cum.example/pliki/PomocZdalna.exe"
    assert file_name(url) == "PomocZdalna.exe"
    assert file_name("https://cum.example/") == "https://cum.example/"


def test_the_faq_is_escaped_with_questions_lists_paragraphs_and_typed_links():
    html = render_faq(
        "## Pytanie <i>1</i>?\n"
        'Odpowiedź <img src=x onerror="alert(1)"> tutaj.\n'
        "Zobacz https://cum.example/pomoc.\n\n"
        "- punkt **a**\n- punkt b"
    )
    assert "<h3>Pytanie &lt;i&gt;1&lt;/i&gt;?</h3>" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html and "<img" not in html
    link = "https://cum.example/pomoc"
    assert f'<a href="{link}" rel="noopener">{link}</a>.' in html
    assert "<ul><li>punkt **a**</li><li>punkt b</li></ul>" in html
    assert render_faq("") == ""
