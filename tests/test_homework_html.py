"""The worksheet as a page (`gradcli exercise --format html`): a box in every cell the sheet asks
for, and a save button whose file is the Markdown sheet `gradcli grade` reads, filled. The page's
script puts each box's text in place of its marker in the Markdown the page carries; this test
does the same replacement (the script's regular expression, in Python) with the answers copied
from the key, and grades the result: full marks, at every level. In Chromium: the save button
hands the download link exactly that file (tests/test_html_browser.py's driver)."""

from __future__ import annotations

import html
import re

import pytest
from homework.fill import answers_from_key
from test_html_browser import browser, open_page  # noqa: F401 (the Chromium fixture)

from gradcli import api
from gradcli.render import json_out, sheet, sheet_html

MARKER = re.compile("\u27e6(\\d+)\u27e7")  # the page script's /\u27e6(\d+)\u27e7/g


def _page_parts(page: str) -> tuple[str, dict[str, str]]:
    """The Markdown the page carries, and its boxes (marker number -> aria label)."""
    template = html.unescape(re.search(r'<textarea id="template" hidden>(.*?)</textarea>', page, re.S)[1])
    boxes = dict(re.findall(r'<input data-k="(\d+)" aria-label="([^"]*)"', page))
    return template, boxes


@pytest.mark.parametrize("level", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 7, 42])
def test_the_saved_sheet_is_the_markdown_sheet_and_grades_full_marks(level, seed):
    made = api.exercise(level, seed)
    page = sheet_html.to_html(made)
    template, boxes = _page_parts(page)
    cells = [(r.section, r.label, c) for r in sheet.sheet_rows(made.key) for c in r.asks]
    assert sorted(boxes, key=int) == [str(k) for k in range(len(cells))]  # one box a blank
    answers = answers_from_key(made, json_out.render(made.key))
    typed = {str(k): answers[cell] for k, cell in enumerate(cells)}
    saved = MARKER.sub(lambda m: typed[m[1]], template)
    assert saved == sheet.to_markdown(made, answers)
    marks = api.grade(saved)
    assert marks.score == marks.max_score, marks


def test_the_page_is_self_contained_and_the_cli_writes_it(tmp_path):
    from conftest import run_cli

    run = run_cli("exercise", "--level", "2", "--seed", "3", "-o", str(tmp_path / "sheet.html"))
    assert run.code == 0, run.err
    page = (tmp_path / "sheet.html").read_text(encoding="utf-8")
    assert "default-src 'none'" in page and "<script src" not in page and "://" not in page
    assert page.count("<input") == len(_page_parts(page)[1])


def test_in_chromium_the_save_button_saves_the_filled_sheet(tmp_path, browser):  # noqa: F811
    """Boxes filled in the page, the button pressed: the file it would save (the Blob the page
    hands to the download link) is the Markdown sheet with those answers, and it grades full."""
    made = api.exercise(2, 11)
    page = tmp_path / "sheet.html"
    page.write_text(sheet_html.to_html(made), encoding="utf-8")
    open_page(browser, page)
    cells = [(r.section, r.label, c) for r in sheet.sheet_rows(made.key) for c in r.asks]
    answers = answers_from_key(made, json_out.render(made.key))
    for k, cell in enumerate(cells):
        browser.find_element("css selector", f'input[data-k="{k}"]').send_keys(answers[cell])
    browser.execute_script(
        "URL.createObjectURL = function (blob) { window.savedBlob = blob; return 'about:blank'; };"
        "HTMLAnchorElement.prototype.click = function () { window.savedName = this.download; };"
    )
    browser.find_element("id", "save").click()
    saved = browser.execute_async_script(
        "arguments[0]; window.savedBlob.text().then(arguments[arguments.length - 1]);"
    )
    assert browser.execute_script("return window.savedName") == "sheet.md"
    assert saved == sheet.to_markdown(made, answers)
    marks = api.grade(saved)
    assert marks.score == marks.max_score
