"""The model registry as a static site (GitHub Pages): which model is in production, since when,
from which pull request, how good, every version with its card, and the stage history.

    mlproject site --out build/site [--monitor build/monitor/monitor.json]

collect.py reads the registry (GTO) and the files at each version's commit; pages.py and
card.py write plain HTML with inline SVG charts (svg.py). Nothing is fetched from elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from mlproject import storage
from mlproject.registry import Settings

REPO = re.compile(r"^https://[A-Za-z0-9.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def repo_url(explicit: str | None = None) -> str | None:
    """The repository's address for links: --repo-url, else the one GitHub Actions gives."""
    url = explicit or (f"{os.environ['GITHUB_SERVER_URL']}/{os.environ['GITHUB_REPOSITORY']}"
                       if os.environ.get("GITHUB_SERVER_URL") and
                       os.environ.get("GITHUB_REPOSITORY") else None)
    return url if url and REPO.fullmatch(url) else None


def build(settings: Settings, out: Path, root: Path | str = ".", monitor: Path | None = None,
          repo: str | None = None) -> dict:
    """Write the site into ``out`` (replaced whole, atomically); return what it shows."""
    from mlproject.site import card, collect, pages

    data = collect.collect(settings, root, monitor)
    links = {"repo": repo} if repo else {}
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    files = {"index.html": pages.home(data, links), "versions.html": pages.versions(data, links),
             "history.html": pages.history(data, links)}
    files.update({f"v/{v['version']}.html": card.version_page(data, v, links)
                  for v in data["versions"]})
    for rel, text in files.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text, encoding="utf-8")
    storage.write_json(tmp / "registry.json", {k: v for k, v in data.items()
                                               if k != "versions"} | {
        "versions": [{k: v[k] for k in ("version", "commit", "registered", "rolled_back",
                                        "deprecated", "pull_request")} for v in data["versions"]]})
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return data
