"""The book (`make book` → build/book/): what a page keeps of an executed notebook, and, once the
book is built, a headless Chromium reading it: every chapter in the navigation, a chapter page
with its figures and rendered maths and no traceback, and the links between chapters working.

The browser test reads the book `make book` just built: `.ci/run` builds it after `make test` and
runs this file with COOKBOOK_BOOK=required (a missing book then fails); otherwise it is skipped."""
import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "build" / "book"
spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_a_page_keeps_the_results_and_drops_what_needs_a_kernel():
    nb = {"metadata": {"jupytext": {"formats": "ipynb,py:percent"}}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# 99 · A chapter"},
        {"cell_type": "code", "metadata": {}, "source": "run = train(cfg)", "outputs": [
            {"output_type": "stream", "name": "stderr",
             "text": "  0%|          | 0/60 [00:00<?, ?it/s]\r 50%|#####     | 30/60\n"},
            {"output_type": "stream", "name": "stdout", "text": "linear_acc 0.61\n"},
            {"output_type": "display_data", "metadata": {},
             "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "KnobPanel(...)"}},
            {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}},
        ]}]}
    page = build.for_the_page(nb, "99_chapter")
    assert page["cells"][0]["source"] == "# 99 · A chapter" and "quick mode" in page["cells"][1]["source"]
    outputs = page["cells"][2]["outputs"]
    assert [o["output_type"] for o in outputs] == ["stream", "display_data"]  # no progress bar, no widget
    assert outputs[0]["text"] == "linear_acc 0.61\n" and "image/png" in outputs[1]["data"]
    assert "jupytext" not in page["metadata"]


def test_the_landing_page_maps_every_chapter_and_method():
    stems = [c.stem for c in build.chapters()]
    page = build.landing(stems)
    for stem in stems:
        assert f"[{stem}](chapters/{stem}.ipynb)" in page and f"chapters/{stem}\n" in page
    assert "| `lejepa` |" in page and "CLAIMS" in page


def _book_or_skip():
    if os.environ.get("COOKBOOK_BOOK") != "required":  # a book left from an older build says nothing
        pytest.skip("checks the book `make book` just built: COOKBOOK_BOOK=required (as .ci/run sets it)")
    if not (BOOK / "index.html").exists():
        pytest.fail("build/book/index.html is missing: `make book` did not build the book")
    if not Path(os.environ.get("COOKBOOK_CHROMIUM", "/usr/bin/chromium")).exists():
        pytest.skip("no Chromium")


def test_the_built_book_in_chromium(tmp_path):
    _book_or_skip()
    from playwright.sync_api import sync_playwright

    stems = [c.stem for c in build.chapters()]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("COOKBOOK_CHROMIUM", "/usr/bin/chromium"),
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto((BOOK / "index.html").as_uri())
        links = page.eval_on_selector_all("nav a.reference.internal", "els => els.map(e => e.href)")
        assert all(any(link.endswith(f"chapters/{s}.html") for link in links) for s in stems), links
        assert all(Path(link.replace("file://", "").split("#")[0]).exists() for link in links), links

        page.goto((BOOK / "chapters" / "03_contrastive.html").as_uri())  # maths, figures and tables
        page.wait_for_selector("mjx-container", timeout=30_000)  # MathJax, served by the book itself, ran
        text = page.inner_text("main")
        assert page.locator("mjx-container").count() > 5 and page.locator("main img").count() > 3
        assert "Traceback" not in text and "Error" not in page.eval_on_selector_all(
            ".output.traceback, .output.error", "els => els.map(e => e.innerText).join(' ')")
        assert "quick mode" in text  # the note on how to run the chapter
        page.screenshot(path=str(tmp_path / "chapter.png"))
        print(f"screenshot: {tmp_path / 'chapter.png'}")

        page.click("a.right-next")  # the next chapter, as a reader would
        page.wait_for_load_state()
        assert page.url.endswith("04_self_distillation.html"), page.url
        assert page.locator("main img").count() > 0 and "Traceback" not in page.inner_text("main")
        browser.close()
