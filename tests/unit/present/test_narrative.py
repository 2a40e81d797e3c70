"""Data text in findings is inert: rendered by the report's own Markdown renderer, it makes no markup."""

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from uem_helpers.present.narrative import md_escape


@pytest.mark.parametrize(
    "text",
    [
        'https://evil.example/"onmouseover="alert(5)',
        "www.evil.example/path",
        "mail ops@evil.example now",
        "[click me](javascript:alert(6))",
        "<img src=x onerror=alert(1)>",
        "**bold** _it_ `code` # heading | table",
    ],
)
def test_escaped_data_renders_as_the_same_text_and_no_element(text):
    html = markdown2html_mistune(f"Segment '{md_escape(text)}' is largest.")
    assert html.count("<") == 2 and html.startswith("<p>") and html.rstrip().endswith("</p>"), html
    assert "href" not in html


def test_ordinary_text_and_times_are_untouched():
    assert md_escape("12:30 checkout") == "12:30 checkout"


@pytest.mark.parametrize("hidden", ["\x00", "\x1b", "\u202e", "\u2066", "\u200b", "\u200f", "\ufeff"])
def test_hidden_characters_are_shown_not_acted_on(hidden):
    assert md_escape(f"good{hidden}txt") == "good\ufffdtxt"


def test_tabs_newlines_and_joiners_stay():
    assert md_escape("a\tb\nc \U0001F469\u200d\U0001F4BB") == "a\tb\nc \U0001F469\u200d\U0001F4BB"
