"""One page per registered version: what its model card says, from the files at its commit
(the sidecar, the four kinds of metrics, slices, params, data version, intended use), with
links to the commit, the pull request, the GitHub release and the release's files."""

from __future__ import annotations

from html import escape
from typing import Any

import yaml

from mlproject.site.pages import link, metric, num, page, table, when

MODELS = ("model", "rule_baseline", "dummy")
ASSETS = ("model.skops", "model.json", "model_card.md", "metrics.json", "dvc.lock")
MAX_SLICES = 40


def version_page(data: dict[str, Any], v: dict[str, Any], links: dict[str, str]) -> str:
    stage = data["stage"]
    state = (f"in {stage} since {when(data['since'])}" if v["version"] == data["production"]
             else "rolled back from " + stage if v["rolled_back"]
             else f"was in {stage}" if v["ever_in_stage"] else "registered, never in " + stage)
    if v["deprecated"]:
        state += "; deprecated"
    pr = v["pull_request"]
    facts = [["status", escape(state)],
             ["commit", link(links, "commit", v["commit"], f"<code>{v['commit'][:12]}</code>")
              + (f" {escape(v['subject'])}" if v["subject"] else "")],
             ["pull request", link(links, "pull", pr, f"#{pr}") if pr else "–"],
             ["registered", when(v["registered"])],
             ["model type", f"<code>{escape(str(v['model_type']))}</code>"],
             ["classes", escape(", ".join(map(str, v["classes"] or []))[:200]) or "–"],
             ["data version (data.dvc md5)",
              f"<code>{escape(str(v['data_version'] or '–'))}</code>"],
             ["model file sha256", f"<code>{escape(str(v['sha256']))}</code>"],
             ["release", link(links, "release", v["tag"], f"<code>{escape(v['tag'])}</code>")]]
    body = [f"<h1>{escape(data['artifact'])} {escape(v['version'])}</h1>",
            table(["", "value"], facts)]
    body += _metrics(v)
    body.append("<h2>Slices</h2>" + _slices(v))
    body.append("<h2>Training parameters</h2><pre>"
                + escape(yaml.safe_dump(v["train"] or {}, sort_keys=False)[:20_000]) + "</pre>")
    if v["intended_use"].strip():
        body.append("<h2>Intended use and limits</h2><pre>"
                    + escape(v["intended_use"][:20_000]) + "</pre>")
    if links.get("repo"):
        files = " · ".join(
            f'<a href="{escape(links["repo"])}/releases/download/{escape(v["tag"])}/{name}">'
            f"{name}</a>" for name in ASSETS)
        body.append(f"<h2>Release files</h2><p>{files} (the full model card is the release's "
                    "description).</p>")
    return page(v["version"], "".join(body), data, depth=1)


def _metrics(v: dict[str, Any]) -> list[str]:
    out = []
    for family, title in (("quality", "Quality"), ("product", "Product"), ("system", "System")):
        names = sorted({k for m in MODELS for k in
                        ((v["metrics"].get(m) or {}).get(family) or {})})
        rows = [[f"<code>{escape(n)}</code>", *(num(metric(v, n, m)) for m in MODELS)]
                for n in names]
        out.append(f"<h2>{title} metrics (holdout)</h2>" + (table(
            ["metric", "model", "rule baseline", "dummy"], rows, {1, 2, 3}) if rows else
            '<p class="muted">Not recorded at this commit.</p>'))
    return out


def _slices(v: dict[str, Any]) -> str:
    model = v["slices"].get("model") if isinstance(v["slices"], dict) else None
    if not isinstance(model, dict) or not model:
        return '<p class="muted">No slices recorded at this commit.</p>'
    names = sorted({k for s in model.values() if isinstance(s, dict) for k in s
                    if k not in ("rows", "classes")})[:6]
    rows = [[escape(str(key))[:80], num(s.get("rows")), *(num(s.get(n)) for n in names)]
            for key, s in list(model.items())[:MAX_SLICES] if isinstance(s, dict)]
    more = len(model) - MAX_SLICES
    return table(["slice", "rows", *map(escape, names)], rows,
                 set(range(1, 2 + len(names)))) + (f"<p>and {more} more slices in "
                                                   "reports/slices.json</p>" if more > 0 else "")
