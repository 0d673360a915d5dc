"""The Explorer's inputs in a real browser (issue 9, items 1, 6, 7): the parameter row agrees with
itself under the keyboard, defaults give numbers, a typo and a wrong upload are said."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from browser import ARTIFACTS, open_page, settle

pytestmark = pytest.mark.browser
LINK = {"f": "K*x*y", "var.x": "0, 1", "var.y": "1, 2", "param.K": "1", "wrt": "x"}
BLACK_SCHOLES = ("d1 = (log(S/K) + (r + sigma**2/2)*T)/(sigma*sqrt(T)); d2 = d1 - sigma*sqrt(T); "
                 "S*0.5*(1 + erf(d1/sqrt(2))) - K*exp(-r*T)*0.5*(1 + erf(d2/sqrt(2)))")




def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query).items()}


def slider_value(page, name: str) -> float:
    return float(page.get_by_role("slider", name=f"Slide {name}").input_value())


def test_a_typed_value_outside_the_slider_range_moves_slider_range_and_link(page, server_url) -> None:
    open_page(page, f"{server_url}/?{urllib.parse.urlencode(LINK)}")
    box = page.get_by_role("spinbutton", name="Value of K")
    box.fill("100")
    box.press("Enter")
    page.wait_for_url(re.compile(r"param\.K=100"), timeout=30_000)
    settle(page)
    assert slider_value(page, "K") == 100
    range_box = page.get_by_role("textbox", name="Slider range")
    assert range_box.is_visible()
    assert range_box.input_value() == "0, 200"
    assert page.get_by_text("Slider range widened to 0 … 200 to hold 100").is_visible()
    shown = query(page)
    assert float(shown["param.K"]) == 100
    assert shown["range.K"] == "0, 200"
    page.screenshot(path=str(ARTIFACTS / "parameter-widened.png"), full_page=True)

    thumb = page.get_by_role("slider", name="Slide K")
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_url(lambda url: "param.K=100.0" not in url, timeout=30_000)
    settle(page)
    value = float(box.input_value())
    assert 100 < value <= 102, value  # one step of the 0 … 200 slider, not a jump to near 2
    assert slider_value(page, "K") == value
    assert float(query(page)["param.K"]) == value
    assert range_box.input_value() == "0, 200"


def test_black_scholes_typed_by_hand_shows_numbers_and_a_typo_is_said(page, server_url) -> None:
    open_page(page, server_url)
    box = page.get_by_role("textbox", name="Function")
    box.fill(BLACK_SCHOLES)
    box.press("Control+Enter")
    page.get_by_role("textbox", name="Grid for S").wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_role("textbox", name="Grid for S").input_value() == "linspace(0.1, 4, 40)"
    assert page.get_by_role("textbox", name="Grid for K").input_value() == "linspace(0.1, 4, 40)"
    assert page.get_by_role("spinbutton", name="Value of sigma").is_visible()
    assert "not finite" not in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "black-scholes-by-hand.png"), full_page=True)

    box.fill(BLACK_SCHOLES.replace("- K*exp", "- SK*exp"))
    box.press("Control+Enter")
    note = page.get_by_text("'SK' is a new name — did you mean S*K?")
    note.wait_for(timeout=30_000)
    assert note.is_visible()


def test_an_upload_with_the_wrong_columns_is_refused_next_to_it(page, server_url, tmp_path) -> None:
    open_page(page, f"{server_url}/?f=t*k&mode=points")
    csv = tmp_path / "xy.csv"
    csv.write_text("x,y\n1,2\n3,4\n")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(csv))
    alert = page.get_by_text(re.compile(r"Uploaded CSV:.*missing t, k; extra x, y"))
    alert.wait_for(timeout=30_000)
    settle(page)
    uploader = page.locator("[data-testid='stFileUploader']").bounding_box()
    where = alert.bounding_box()
    assert 0 <= where["y"] - (uploader["y"] + uploader["height"]) < 200  # right under the upload
    assert page.get_by_role("button", name="∂f/∂t").is_visible()  # partials still of t and k
    assert page.locator("[data-testid='stTable']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "upload-wrong-columns.png"), full_page=True)
