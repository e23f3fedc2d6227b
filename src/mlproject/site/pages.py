"""The registry site's pages as plain HTML: one stylesheet inline, no script, no font or file
from another host, relative links only (it works from file:// and under a sub-path such as
https://org.github.io/repo/). Every value read from git is escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from mlproject import storage
from mlproject.site.svg import metric_chart

STYLE = """
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--box:#f6f8fa;
--line:#d1d9e0;--accent:#0969da;--good:#1a7f37;--bad:#cf222e;--warn:#9a6700}
@media (prefers-color-scheme:dark){:root{--fg:#f0f6fc;--muted:#9198a1;--bg:#0d1117;
--box:#151b23;--line:#3d444d;--accent:#4493f8;--good:#3fb950;--bad:#f85149;--warn:#d29922}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",
sans-serif;color:var(--fg);background:var(--bg)}a{color:var(--accent)}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}header{padding-top:1rem}
nav a{margin-right:1rem}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}
.muted{color:var(--muted)}.box{background:var(--box);border:1px solid var(--line);
border-radius:6px;padding:.75rem 1rem;margin:1rem 0}.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid var(--line);
padding:.3rem .6rem;text-align:left;vertical-align:top}td.num,th.num{text-align:right;
font-variant-numeric:tabular-nums}code{font-size:.9em;overflow-wrap:anywhere}
td code{white-space:nowrap}
.good{color:var(--good)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.chart{width:100%;max-width:40rem;height:auto}.chart .grid{stroke:var(--line)}
.chart .axis,.chart .legend{fill:var(--muted);font-size:15px}
.chart .series{stroke:var(--accent);stroke-width:2}.chart .dot{fill:var(--accent)}
.chart .dot.rolled_back{fill:var(--bad)}.chart .cross{stroke:var(--bad);stroke-width:2}
.chart .ring{fill:none;stroke:var(--good);stroke-width:2}
pre{white-space:pre-wrap;background:var(--box);padding:.75rem;border-radius:6px}
"""
NAV = (("index.html", "Production"), ("versions.html", "Versions"),
       ("history.html", "Stage history"))


def page(title: str, body: str, data: dict[str, Any], depth: int = 0) -> str:
    up = "../" * depth
    nav = "".join(f'<a href="{up}{href}">{label}</a>' for href, label in NAV)
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)} · {escape(data['artifact'])} registry</title>"
            f"<style>{STYLE}</style></head><body><header><nav aria-label=\"Registry\">{nav}"
            f"</nav></header><main>{body}</main><footer class=\"muted\"><p>Built {built} "
            "from the git tags (GTO) and each version's commit by <code>mlproject site</code>."
            "</p></footer></body></html>")


def when(seconds: int | None) -> str:
    if not seconds:
        return "–"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def num(value: Any) -> str:
    value = storage.finite(value)
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def metric(version: dict, name: str, model: str = "model") -> float | None:
    """A metric of ``model`` in the version's reports/metrics.json, whatever its family."""
    section = version["metrics"].get(model) if isinstance(version["metrics"], dict) else None
    for family in ("quality", "product", "system"):
        found = ((section or {}).get(family) or {}).get(name) if isinstance(section, dict) \
            else None
        if found is not None:
            return storage.finite(found)
    return None


def link(links: dict[str, str], kind: str, value: Any, text: str) -> str:
    """A link to GitHub when the repository's address is known, else the text alone."""
    base = links.get("repo")
    if not base or value is None:
        return text
    path = {"commit": "commit/", "pull": "pull/", "release": "releases/tag/"}[kind]
    return f'<a href="{escape(base)}/{path}{escape(str(value))}">{text}</a>'


def table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{h}</th>'
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{c}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>' \
           "</table></div>"


def headline(data: dict[str, Any]) -> list[str]:
    newest = data["versions"][0]["headline"] if data["versions"] else []
    return newest or ["roc_auc", "f1", "coverage", "precision_when_shown"]


def home(data: dict[str, Any], links: dict[str, str]) -> str:
    by = {v["version"]: v for v in data["versions"]}
    prod, previous = by.get(data["production"]), by.get(data["previous"] or "")
    if prod is None:
        body = (f"<h1>{escape(data['artifact'])}: nothing in production</h1><p>No version is "
                f"in <code>{escape(data['stage'])}</code> yet: the promote workflow puts one "
                "there when a merge passes the gate.</p>")
    else:
        pr = prod["pull_request"]
        source = link(links, "commit", prod["commit"], f"<code>{prod['commit'][:8]}</code>")
        if pr:
            source += " from pull request " + link(links, "pull", pr, f"#{pr}")
        names = headline(data)
        rows = []
        for name in names:
            now, then = metric(prod, name), metric(previous, name) if previous else None
            delta = "–" if now is None or then is None else f"{now - then:+.4f}"
            rows.append([f"<code>{escape(name)}</code>", num(now), num(then), delta])
        body = (f"<h1>{escape(data['artifact'])} {escape(prod['version'])} is in "
                f"{escape(data['stage'])}</h1><div class=\"box\"><p>Since "
                f"<strong>{when(data['since'])}</strong>, from commit {source}"
                f"{': ' + escape(prod['subject']) if prod['subject'] else ''}.</p><p>Model "
                f"<code>{escape(str(prod['model_type']))}</code>, data version "
                f"<code>{escape(str(prod['data_version'] or '–')[:12])}</code> · "
                f'<a href="v/{escape(prod["version"])}.html">its card</a> · '
                f"{link(links, 'release', prod['tag'], 'its release')}</p></div>"
                "<h2>Headline metrics</h2>"
                + table(["metric", prod["version"] + " (now)",
                         (previous["version"] + " (before)") if previous else "before",
                         "change"], rows, {1, 2, 3}))
    return page("Production", body + _monitoring(data, links), data)


def _monitoring(data: dict[str, Any], links: dict[str, str]) -> str:
    m = data.get("monitor")
    runs = (f'<a href="{escape(links["repo"])}/actions/workflows/monitor.yml">the monitor '
            "workflow's runs</a>") if links.get("repo") else "the monitor workflow"
    if not m:
        return (f"<h2>Monitoring</h2><p class=\"muted\">No monitoring result with this build: "
                f"see {runs}.</p>")
    mark = {"normal": ("good", "✅ Normal"), "drift": ("bad", "🔴 Drifting")}.get(
        m["status"], ("warn", "⚠️ " + m["status"].capitalize()))
    what = f": {escape(m['title'])}" if m["title"] else ""
    return (f'<h2>Monitoring</h2><div class="box"><p class="{mark[0]}"><strong>{mark[1]}'
            f"</strong>{what}</p><p>Window {escape(m['start'])} to {escape(m['until'])}, "
            f"{num(m['predictions'])} predictions of "
            f"{escape(str(m['version'] or 'an unregistered model'))}. More: {runs}.</p></div>")


def versions(data: dict[str, Any], links: dict[str, str]) -> str:
    names = headline(data)
    rows = []
    for v in data["versions"]:
        state = ["in " + escape(data["stage"])] if v["version"] == data["production"] else []
        state += ["rolled back"] * v["rolled_back"] + ["deprecated"] * v["deprecated"]
        if v["ever_in_stage"] and not state:
            state.append(f"was in {escape(data['stage'])}")
        rows.append([f'<a href="v/{escape(v["version"])}.html">{escape(v["version"])}</a>',
                     (", ".join(state) or "registered").replace(" ", "&nbsp;"),
                     link(links, "commit", v["commit"], f"<code>{v['commit'][:8]}</code>"),
                     when(v["registered"])[:10], f"<code>{escape(str(v['model_type']))}</code>",
                     f"<code>{escape(str(v['data_version'] or '–')[:8])}</code>",
                     *(num(metric(v, n)) for n in names)])
    oldest = list(reversed(data["versions"]))
    charts = "".join(
        f"<h2>{escape(n)}</h2>" + metric_chart(n, [(
            v["version"], metric(v, n),
            "prod" if v["version"] == data["production"] else
            "rolled_back" if v["rolled_back"] else "") for v in oldest], f"chart-{i}")
        for i, n in enumerate(names))
    body = (f"<h1>Versions of {escape(data['artifact'])}</h1><p>{len(rows)} registered, newest "
            "first.</p>" + table(["version", "stage", "commit", "registered", "model", "data",
                                  *map(escape, names)], rows,
                                 set(range(6, 6 + len(names)))) + charts)
    return page("Versions", body, data)


def history(data: dict[str, Any], links: dict[str, str]) -> str:
    words = {"registration": "registered", "assignment": "assigned to",
             "unassignment": "withdrawn from (rollback)", "deregistration": "deprecated",
             "deprecation": "deprecated"}
    rows = [[when(e["created"]), f"{escape(words.get(e['event'], e['event']))} "
             f"{escape(e['stage'])}".strip(), escape(e["version"] or "–"),
             link(links, "commit", e["commit"], f"<code>{e['commit'][:8]}</code>"),
             f"<code>{escape(e['tag'])}</code>"] for e in data["events"]]
    body = (f"<h1>Stage history of {escape(data['artifact'])}</h1><p>Every registration, "
            "assignment and rollback, oldest first, as <code>gto history</code> lists them."
            "</p>" + (table(["when", "event", "version", "commit", "tag"], rows) if rows else
                      "<p>No events yet.</p>"))
    return page("Stage history", body, data)
