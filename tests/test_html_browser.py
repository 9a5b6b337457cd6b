"""The HTML page in a real browser (issue 19, must show 1 and 3): headless Chromium driven by
selenium through Debian's chromium-driver. Without them the tests skip locally and fail under
CI=true (.ci/run installs them).

Each page is written by the real CLI (`gradcli eval ... -o page.html`) and opened from a file:
no console error, no request but the page itself (its Content-Security-Policy forbids any, and a
blocked one is a console error), step 3 focused lights exactly its edge and its two nodes, the
walk's "next" leaves every gradient equal to the JSON output's, and dark mode and print look as
they should.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require_program
from exercises import BY_NAME

from gradcli.numbers import format_value
from gradcli.render.html_graph import MAX_CHARS

PROGRAMS = {
    "seed004": BY_NAME["neuron"],
    "seed000": BY_NAME["circuit"],
    "array": BY_NAME["mlp"],
}


def _selenium():
    try:
        from selenium import webdriver
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("selenium is not installed, but CI must have it (the test extra)")
        pytest.skip("selenium is not installed")
    return webdriver


@pytest.fixture(scope="module")
def browser():
    chromium = require_program("chromium")
    driver_path = require_program("chromedriver")
    webdriver = _selenium()
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    yield driver
    driver.quit()


def write_page(tmp_path: Path, source: str, at: str, *extra: str) -> Path:
    page = tmp_path / "page.html"
    args = [sys.executable, "-m", "gradcli", "eval", source, "--at", at, "-o", str(page), *extra]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return page


def json_gradients(source: str, at: str) -> dict[str, object]:
    args = [sys.executable, "-m", "gradcli", "eval", source, "--at", at, "--json"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)["gradient"]


def open_page(driver, page: Path) -> None:
    """Load the page; assert no console message of any level above info and no request but the page."""
    driver.get_log("browser")  # drop what earlier pages left
    driver.get_log("performance")
    driver.get(page.as_uri())
    driver.execute_script("return document.readyState")
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == [], errors
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    assert requests and all(url == page.as_uri() for url in requests), requests


def js(driver, code: str, *args):
    return driver.execute_script(code, *args)


@pytest.mark.parametrize("name", PROGRAMS)
def test_page_loads_offline_with_no_error(browser, tmp_path, name):
    exercise = PROGRAMS[name]
    open_page(browser, write_page(tmp_path, exercise.source, exercise.at))
    assert js(browser, "return document.querySelectorAll('svg.graph .node').length") > 0
    assert js(browser, "return document.querySelectorAll('math').length") > 0


@pytest.mark.parametrize("name", PROGRAMS)
def test_focusing_step_3_lights_exactly_its_edge_and_two_nodes(browser, tmp_path, name):
    exercise = PROGRAMS[name]
    open_page(browser, write_page(tmp_path, exercise.source, exercise.at))
    row = browser.find_element("css selector", 'tr.step[data-step="2"]')
    js(browser, "arguments[0].focus()", row)
    from selenium.webdriver.common.keys import Keys

    row.send_keys(Keys.ARROW_DOWN)  # the keyboard moves the focus to step 3
    focused = js(browser, "return document.activeElement.getAttribute('data-step')")
    assert focused == "3"
    step = js(
        browser, "var r = document.activeElement; return [r.dataset.of, r.dataset.index, r.dataset.wrt]"
    )
    edges = js(
        browser,
        "return [...document.querySelectorAll('svg .edge.hl')].map(e => [e.dataset.of, e.dataset.index])",
    )
    assert edges == [[step[0], step[1]]]
    nodes = js(browser, "return [...document.querySelectorAll('svg .node.hl')].map(e => e.dataset.node)")
    assert sorted(nodes) == sorted([step[0], step[2]])
    rows = js(browser, "return [...document.querySelectorAll('tr.hl')].map(e => e.dataset.step)")
    assert rows == ["3"]


def _clipped(line: str) -> str:
    """A box's line as the page shows it: at most MAX_CHARS characters, the last an ellipsis."""
    return line if len(line) <= MAX_CHARS else line[: MAX_CHARS - 1] + "…"


def _longest_box_line(driver) -> int:
    return js(
        driver,
        "return Math.max(...[...document.querySelectorAll('svg .node text')].map(t => t.textContent.length))",
    )


def _tooltips(driver) -> dict[str, str]:
    """Each input box's whole text, from its tooltip."""
    return js(
        driver,
        "var out = {}; document.querySelectorAll('svg .node.input').forEach(function (g) {"
        " out[g.querySelector('text.name').textContent] = g.querySelector('title').textContent; });"
        " return out;",
    )


def _boxes(driver) -> dict[str, str]:
    """Each input box's name and the grad it shows."""
    return js(
        driver,
        "var out = {}; document.querySelectorAll('svg .node.input').forEach(function (g) {"
        " var grad = g.querySelector('text.grad'); if (grad) out[g.querySelector('text.name').textContent]"
        " = grad.textContent; }); return out;",
    )


@pytest.mark.parametrize("name", PROGRAMS)
def test_next_through_the_backward_pass_gives_the_json_gradients(browser, tmp_path, name):
    exercise = PROGRAMS[name]
    open_page(browser, write_page(tmp_path, exercise.source, exercise.at))
    whole = {
        name: "grad " + format_value(np.array(value, dtype=float))
        for name, value in json_gradients(exercise.source, exercise.at).items()
    }
    expected = {name: _clipped(line) for name, line in whole.items()}  # the tooltip holds the rest
    for name, tip in _tooltips(browser).items():
        assert whole[name] in tip.splitlines(), name
    assert _longest_box_line(browser) <= MAX_CHARS  # as the page opens: at its end
    browser.find_element("css selector", "button.first").click()
    assert set(_boxes(browser).values()) == {"grad ?"}  # nothing computed yet
    status = lambda: js(browser, "return document.querySelector('.status').textContent")  # noqa: E731
    seen, before = 0, None
    while not status().startswith("end"):
        before = _boxes(browser)
        assert _longest_box_line(browser) <= MAX_CHARS, f"a box's line overflows at position {seen}"
        browser.find_element("css selector", "button.next").click()
        seen += 1
        assert seen < 500
    assert before == expected  # the last step of the walk, before "end" shows everything
    assert _boxes(browser) == expected
    big = js(browser, "return document.querySelector('.now').textContent")
    assert big.startswith("Done")


def test_each_step_shows_local_times_upstream_large(browser, tmp_path):
    exercise = BY_NAME["neuron"]
    open_page(browser, write_page(tmp_path, exercise.source, exercise.at))
    browser.find_element("css selector", 'tr.step[data-step="3"]').click()
    big = js(browser, "return document.querySelector('.now .big').textContent")
    assert big == "0.3679 × -0.5344 = -0.1966"  # seed 004: exp's local, upstream, contribution
    assert js(browser, "return document.querySelector('tr.step.current').dataset.step") == "3"
    size = js(browser, "return parseFloat(getComputedStyle(document.querySelector('.now .big')).fontSize)")
    assert size >= 20  # shown large: 1.5rem


def _style(driver, selector: str, prop: str) -> str:
    return js(driver, f"return getComputedStyle(document.querySelector('{selector}')).{prop}")


def test_dark_mode_and_print_differ_from_the_default_as_intended(browser, tmp_path):
    exercise = BY_NAME["neuron"]
    open_page(browser, write_page(tmp_path, exercise.source, exercise.at))
    browser.find_element("css selector", "button.first").click()  # dimmed future rows, say
    light = _style(browser, ".gc", "backgroundColor"), _style(browser, ".gc", "color")
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    try:
        dark = _style(browser, ".gc", "backgroundColor"), _style(browser, ".gc", "color")
        assert light == ("rgb(255, 255, 255)", "rgb(27, 27, 27)")
        assert dark == ("rgb(22, 24, 29)", "rgb(232, 232, 232)")
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": []})
        for hidden in (".controls", ".now", ".picture"):
            assert _style(browser, hidden, "display") == "none"
        assert _style(browser, "table.backward", "display") == "table"
        assert _style(browser, "tr.step.future", "opacity") == "1"  # printed whole, nothing dimmed
        assert _style(browser, ".gc", "backgroundColor") == "rgb(255, 255, 255)"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})
    assert _style(browser, ".controls", "display") == "flex"
    assert _style(browser, "tr.step.future", "opacity") == "0.4"


HOSTILE = 'x*2 + y # <script>alert("&amp;")</script> <b>bold</b> \' " &lt;'


def test_a_hostile_source_is_shown_literally(browser, tmp_path):
    open_page(browser, write_page(tmp_path, HOSTILE, "x=1,y=2"))
    assert js(browser, "return document.querySelectorAll('script').length") == 2  # the page's own
    assert js(browser, "return document.querySelectorAll('b').length") == 0
    assert js(browser, "return document.querySelector('h1 code').textContent") == HOSTILE
    assert js(browser, "return document.title") == "gradcli: " + HOSTILE


def test_hostile_names_and_values_are_shown_literally(browser, tmp_path):
    """Names are identifiers in gradcli, but the renderer is given a record whose names, kink and
    warning carry markup: every one comes out as text, in the tables, the picture and the walk."""
    from test_html import hostile_page

    page = tmp_path / "hostile.html"
    page.write_text(hostile_page(), encoding="utf-8")
    open_page(browser, page)
    assert js(browser, "return document.querySelectorAll('script').length") == 2
    assert js(browser, "return document.querySelectorAll('b, img, iframe').length") == 0
    names = js(browser, "return [...document.querySelectorAll('svg text.name')].map(t => t.textContent)")
    assert "<b>a</b>&\"q'" in names
    browser.find_element("css selector", "button.first").click()
    for _ in range(40):
        browser.find_element("css selector", "button.next").click()
    assert js(browser, "return document.querySelectorAll('b, img, iframe').length") == 0
    text = js(browser, "return document.body.textContent")
    assert "warning: <img src=x onerror=alert(1)>" in text


def test_the_checks_catch_a_request_and_an_error(browser, tmp_path):
    """The load check bites: a page that asks for an image elsewhere (blocked by the policy, so
    an error in the console) fails it."""
    page = tmp_path / "leaky.html"
    text = write_page(tmp_path, "a*b", "a=1,b=2").read_text(encoding="utf-8")
    page.write_text(text.replace("<body>", '<body><img src="http://127.0.0.1:9/x.png">'), encoding="utf-8")
    with pytest.raises(AssertionError):
        open_page(browser, page)


SCREENSHOTS = {
    # file under docs/: (emulated media features, the walk's position as a row to click, or None)
    "html-004-forward.png": ("light", 'tr[data-node="10"]'),
    "html-004-step3.png": ("light", 'tr.step[data-step="3"]'),
    "html-004-dark.png": ("dark", 'tr.step[data-step="10"]'),
    "html-004-print.png": ("print", None),
}


def test_screenshots_of_seed_004(browser, tmp_path):
    """The README's pictures of seed 004's page: remade with GRADCLI_UPDATE_SCREENSHOTS=1, else
    only checked to be there (pixels differ between Chromium versions and fonts)."""
    docs = Path(__file__).resolve().parents[1] / "docs"
    if os.environ.get("GRADCLI_UPDATE_SCREENSHOTS") != "1":
        for name in SCREENSHOTS:
            assert (docs / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        return
    exercise = BY_NAME["neuron"]
    page = write_page(tmp_path, exercise.source, exercise.at)
    browser.set_window_size(1400, 1250)
    try:
        for name, (look, row) in SCREENSHOTS.items():
            open_page(browser, page)
            if look == "print":
                browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": []})
            else:
                features = [{"name": "prefers-color-scheme", "value": look}]
                browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": features})
            if row:
                browser.find_element("css selector", row).click()
                js(browser, "window.scrollTo(0, 0)")  # the controls, the step and the graph
                from selenium.webdriver.common.action_chains import ActionChains

                heading = browser.find_element("css selector", "h1")
                ActionChains(browser).move_to_element(heading).perform()  # no row under the mouse
            browser.save_screenshot(str(docs / name))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})
        browser.set_window_size(1300, 1000)
