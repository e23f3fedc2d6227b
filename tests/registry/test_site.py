"""The registry site (mlproject site): what it says matches `gto show` and `gto history`, after
promotions and after a rollback; every page's links resolve inside the site; values from git
are escaped; it works offline from file:// and in a real browser (Debian's chromium, driven by
Playwright) at 1280 and 400 px, with no console error."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlproject.cli import main
from mlproject.registry import tags

from .conftest import gto

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "site-screenshots"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("href"):
            self.hrefs.append(a["href"])
        if a.get("src"):
            self.sources.append(a["src"])


def history(repo, monkeypatch) -> dict[str, str]:
    """Three versions promoted one after the other (the third from a pull request), then a
    rollback to the second: {version: commit}."""
    monkeypatch.chdir(repo.path)
    commits = {}
    for i, (version, auc, message) in enumerate((("v1.0.0", 0.80, "First model"),
                                                 ("v1.0.1", 0.83, "More rounds (#7)"),
                                                 ("v1.1.0", 0.85, "Merge pull request #12 "
                                                                  "from acme/<b>new</b>"))):
        commits[version] = repo.commit_results(auc, message, variant=i)
        tags.register("model", version, f"Register {version}", repo.path)
        tags.assign(tags.read_state("model", repo.path), "prod", version, "Promote", repo.path)
    assert main(["rollback", "v1.0.1"]) == 0
    return commits


def build(tmp_path: Path, monitor: Path | None = None) -> Path:
    args = ["site", "--out", str(tmp_path / "site"), "--repo-url", "https://github.com/acme/mlci"]
    assert main(args + (["--monitor", str(monitor)] if monitor else [])) == 0
    return tmp_path / "site"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_site_says_what_gto_says_after_a_rollback(repo, monkeypatch, tmp_path):
    commits = history(repo, monkeypatch)
    site = build(tmp_path)
    shown = json.loads(gto("show", "model", "--json", cwd=repo.path))
    [prod] = [v["version"] for v in shown if any(s["stage"] == "prod" for s in v["stages"])]
    assert prod == "v1.0.1"
    home = text((site / "index.html").read_text())
    assert "model v1.0.1 is in prod" in home
    assert "from pull request #7" in home and "v1.1.0 (before)" in home  # rolled back from
    assert f'href="https://github.com/acme/mlci/commit/{commits["v1.0.1"]}"' in \
        (site / "index.html").read_text()
    versions = (site / "versions.html").read_text()
    assert [m for m in re.findall(r'href="v/(v[\d.]+)\.html"', versions)] == [
        "v1.1.0", "v1.0.1", "v1.0.0"]
    assert "rolled back" in text(versions) and versions.count("<svg") >= 1
    events = json.loads(gto("history", "model", "--json", "--ascending", cwd=repo.path))
    rows = re.findall(r"<code>(model[@#][^<]+)</code>", (site / "history.html").read_text())
    assert rows == [e["ref"] for e in events]  # every event, in GTO's order
    card = (site / "v" / "v1.1.0.html").read_text()
    assert "&lt;b&gt;new&lt;/b&gt;" in card and "<b>new</b>" not in card  # escaped
    assert "https://github.com/acme/mlci/pull/12" in card
    assert "rolled back from prod" in text(card)


def test_every_link_resolves_inside_the_site_and_nothing_is_fetched(repo, monkeypatch,
                                                                     tmp_path):
    history(repo, monkeypatch)
    site = build(tmp_path)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 3 + 3
    for page in pages:
        parser = Links()
        parser.feed(page.read_text())
        assert parser.sources == []  # no image, script or font from anywhere
        for href in parser.hrefs:
            if href.startswith("https://github.com/acme/mlci/"):
                continue  # links out to the repository, never loaded by the page
            assert not re.match(r"^[a-z]+:|^/", href), f"{page.name}: {href}"
            assert (page.parent / href).resolve().is_file(), f"{page.name}: {href}"
    assert (site / "index.html").stat().st_size < 300_000


def test_monitoring_status_and_an_empty_registry(repo, monkeypatch, tmp_path):
    monkeypatch.chdir(repo.path)
    site = build(tmp_path)
    assert "nothing in production" in text((site / "index.html").read_text())
    monitor = tmp_path / "monitor.json"
    monitor.write_text(json.dumps({"status": "drift", "title": "age <script>",
                                   "window": {"start": "a", "until": "b", "predictions": 2000},
                                   "model": {"version": "v1.0.1"}}))
    home = (build(tmp_path, monitor) / "index.html").read_text()
    assert "Drifting" in home and "age &lt;script&gt;" in home and "<script>" not in home


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_every_page_loads_in_a_browser_at_two_widths(repo, monkeypatch, tmp_path):
    from playwright.sync_api import sync_playwright

    history(repo, monkeypatch)
    monitor = tmp_path / "monitor.json"
    monitor.write_text(json.dumps({"status": "normal", "title": "", "model": {"version": "v1.0.1"},
                                   "window": {"start": "2026-12-06T05:41:00Z",
                                              "until": "2026-12-07T05:41:00Z",
                                              "predictions": 18240}}))
    site = build(tmp_path, monitor)
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        for width in (1280, 400):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            requested: list[str] = []
            page.on("request", lambda r, seen=requested: seen.append(r.url))
            for html in sorted(site.rglob("*.html")):
                page.goto(html.as_uri())
                assert page.locator("h1").count() == 1
                # nothing wider than the screen but the tables' own scrolling boxes
                assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
            page.goto((site / "index.html").as_uri())
            assert "v1.0.1 is in prod" in page.inner_text("h1")
            page.click("text=Versions")
            assert page.url.endswith("/versions.html")
            page.screenshot(path=str(SHOTS / f"versions-{width}.png"), full_page=True)
            page.goto((site / "index.html").as_uri())
            page.screenshot(path=str(SHOTS / f"home-{width}.png"), full_page=True)
            assert all(u.startswith("file://") for u in requested), requested
            page.close()
        browser.close()
    assert errors == []
