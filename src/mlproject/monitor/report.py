"""The monitoring report: Markdown with Mermaid charts, made by the PR comment's chart code.

Every number a chart shows is also in a table (a chart type GitHub does not draw loses
nothing). Values from the log (category names) come from whoever called the service, so they
are escaped like everything a pull request can change (mlproject.report.safe).
"""

from __future__ import annotations

from typing import Any

from mlproject.report.charts import BRANCH, MAIN, MARKS, RED, block, label
from mlproject.report.safe import code, fmt, text

HEADINGS = {"drift": "🔴 Production drift", "normal": "✅ No drift",
            "too few predictions": "⏸️ Too few predictions to judge"}
MAX_BARS = 48


def markdown(r: dict[str, Any]) -> str:
    w, m = r["window"], r["model"]
    heading = HEADINGS[r["status"]] + (f": {text(r['title'], 120)}" if r["title"] else "")
    version = code(m["version"]) if m.get("version") else "not a registered version"
    lines = [f"## {heading}", "",
             f"Window {w['start']} to {w['until']}: **{w['predictions']:,}** predictions in "
             f"{w['requests']:,} requests ({w['files']} log file(s)). Model {version} "
             f"({code(m['sha256'][:12])}), compared with {code(m['reference'])}.", ""]
    if r["status"] == "too few predictions":
        lines += [f"Nothing is judged below {r['min_predictions']:,} predictions "
                  "(monitor.min_predictions): small windows measure noise.", ""]
    if r["alarms"]:
        lines += ["**What moved**", ""]
        lines += [f"- {text(a['what'], 120)} ({a['kind']})" for a in r["alarms"]]
        action = "asked for (monitor.retrain_on)" if r["retrain"] else \
            "not asked for (monitor.retrain_on)"
        lines += ["", f"Retraining: {action}.", ""]
    for other in r["other_models"]:
        lines += [f"> {other['predictions']:,} predictions of another model "
                  f"({code(other['sha256'][:12])}) are in the window and not compared.", ""]
    lines += _features(r["features"]), ""
    lines += _predictions(r["predictions"]), ""
    lines += _quality(r.get("quality")), ""
    lines += _volume(r["volume"]), ""
    lines += [_moved_detail(r["features"]), "",
              "<sub>Numeric features: Wasserstein-1 distance in training standard deviations; "
              "categories and labels: Jensen-Shannon distance (0 to 1); score: Wasserstein-1 "
              "in score units. A value moves when it is over its limit (monitor.drift) and over "
              "its noise floor: what sampling alone gives at this window's size and the "
              "size of the data the reference was measured on. "
              "docs/monitoring.md</sub>", ""]
    return "\n".join(line for line in lines if line is not None)


def _features(features: dict[str, Any]) -> str:
    rows, bars = [], []
    for name, f in sorted(features.items(), key=lambda kv: -_ratio(kv[1])):
        d = f.get("drift") or {}
        miss = f["missing"]
        unseen = f.get("unseen")
        flag = "🔴" if f["alarms"] else "✅"
        rows.append(f"| {flag} | {text(name, 40)} | {f['kind']} | {fmt(d.get('value'), 3)} | "
                    f"{fmt(d.get('limit'), 3)} | {fmt(d.get('floor'), 3)} | "
                    f"{_pct(miss['reference'])} → {_pct(miss['window'])} | "
                    f"{_pct(unseen['value']) if unseen else '—'} |")
        if d:
            bars.append((name, _ratio(f)))
    table = ["| | feature | kind | distance | limit | noise floor | missing | unseen |",
             "|---|---|---|---:|---:|---:|---:|---:|", *rows]
    parts = ["### Features", ""]
    if bars:
        top = max(2.0, *(b for _, b in bars))
        shown = bars[:20]
        names = ", ".join(label(k, 18) for k, _ in shown)
        chart = ['  title "distance ÷ its limit per feature (over 1: moved)"',
                 f"  x-axis [{names}]", f'  y-axis "÷ limit" 0 --> {top:.2f}'.replace(
                     "0 --> ", "0 --> "),
                 f"  bar [{', '.join(f'{v:.3f}' for _, v in shown)}]",
                 f"  line [{', '.join('1' for _ in shown)}]"]
        parts += [f"{MARKS[BRANCH]} distance ÷ limit · 🔴 the limit", "",
                  block(chart, [BRANCH, RED], horizontal=True), ""]
    return "\n".join([*parts, *table])


def _ratio(f: dict[str, Any]) -> float:
    d = f.get("drift") or {}
    if d.get("value") is None:
        return 0.0
    return float(d["value"]) / max(float(d["limit"]), float(d.get("floor") or 0))


def _predictions(p: dict[str, Any]) -> str:
    if "value" in p:  # a regression model's predicted values
        v = p["value"]
        return "\n".join([
            "### Predictions", "", "| | | distance | limit | noise floor |",
            "|---|---|---:|---:|---:|",
            f"| {'🔴' if v['moved'] else '✅'} | predicted value (holdout SDs) | "
            f"{fmt(v['value'], 3)} | {fmt(v['limit'], 3)} | {fmt(v['floor'], 3)} |", "",
            f"Mean predicted value (holdout → window): {fmt(v['mean']['reference'])} → "
            f"{fmt(v['mean']['window'])}."])
    s, lab, above = p["score"], p["labels"], p["above_threshold"]
    rows = [f"| {'🔴' if s['moved'] else '✅'} | score of the predicted label | "
            f"{fmt(s['value'], 3)} | {fmt(s['limit'], 3)} | {fmt(s['floor'], 3)} |",
            f"| {'🔴' if lab['moved'] else '✅'} | predicted label shares | "
            f"{fmt(lab['value'], 3)} | {fmt(lab['limit'], 3)} | {fmt(lab['floor'], 3)} |"]
    shares = " · ".join(f"{text(k, 30)} {_pct(v['reference'])} → {_pct(v['window'])}"
                        for k, v in lab["shares"].items())
    return "\n".join(["### Predictions", "", "| | | distance | limit | noise floor |",
                      "|---|---|---:|---:|---:|", *rows, "",
                      f"Label shares (holdout → window): {shares}. Above the confidence "
                      f"threshold: {_pct(above['reference'])} → {_pct(above['window'])}."])


def _quality(q: dict[str, Any] | None) -> str:
    if q is None:
        return ("### Quality\n\nNo labels given: quality is not measured (`--labels`, a file "
                "of request_id and label; docs/monitoring.md).")
    head = (f"### Quality\n\n{q['matched']:,} of the window's predictions have a true label "
            f"({q['labels']:,} in the file).")
    if "window" not in q:
        return f"{head} {q.get('note', '')}"
    flag = "🔴 dropped" if q["dropped"] else "✅ held"
    lo, hi = q["interval"]
    note = f" ({q['note']})" if q.get("note") else ""
    return "\n".join([head, "", f"| {q['metric']} | holdout | window | change | "
                      f"{q['confidence']:.0%} interval | allowed drop | |",
                      "|---|---:|---:|---:|---|---:|---|",
                      f"| | {fmt(q['holdout'])} | {fmt(q['window'])} | {q['change']:+.4f} | "
                      f"[{lo:+.4f}, {hi:+.4f}] | {q['max_drop']:g} | {flag} |", "",
                      (f"Quality dropped when the whole interval lies above +{q['max_drop']:g} "
                       "(an error grew)" if q.get("lower_is_better") else
                       f"Quality dropped when the whole interval lies below −{q['max_drop']:g}")
                      + f"{note}."])


def _volume(volume: list[dict[str, Any]]) -> str:
    if not volume:
        return ""
    points = [(v["hour"][11:13] + "h" if len(volume) <= 24 else v["hour"][5:13].replace("T", " "),
               v["predictions"]) for v in volume][-MAX_BARS:]
    top = max(c for _, c in points)
    chart = ['  title "predictions per hour (UTC)"',
             f"  x-axis [{', '.join(label(k, 12) for k, _ in points)}]",
             f'  y-axis "predictions" 0 --> {max(1, top)}',
             f"  bar [{', '.join(str(c) for _, c in points)}]"]
    table = " · ".join(f"{k}: {c:,}" for k, c in points)
    return "\n".join(["### Volume", "", block(chart, [MAIN]), "",
                      f"<details><summary>Per hour</summary>\n\n{table}\n\n</details>"])


def _moved_detail(features: dict[str, Any]) -> str:
    """For each feature that moved: its quantiles or its shares, reference beside window."""
    parts = []
    for name, f in features.items():
        if not f["alarms"]:
            continue
        if f.get("quantiles"):
            ref, win = f["quantiles"]["reference"], f["quantiles"]["window"]
            picks = list(range(4, 100, 10))  # the 5th, 15th, ... 95th percentiles
            chart = [f'  title "{label(name, 30)[1:-1]}: percentiles, training vs window"',
                     f"  x-axis [{', '.join(str(i + 1) for i in picks)}]",
                     f'  y-axis "{label(name, 30)[1:-1]}"',
                     f"  line [{', '.join(f'{ref[i]:.4g}' for i in picks)}]",
                     f"  line [{', '.join(f'{win[i]:.4g}' for i in picks)}]"]
            rows = "\n".join(f"| {i + 1} | {fmt(ref[i], 3)} | {fmt(win[i], 3)} |" for i in picks)
            parts.append(f"#### {text(name, 40)}\n\n{MARKS[MAIN]} training · {MARKS[BRANCH]} "
                         f"window\n\n{block(chart, [MAIN, BRANCH])}\n\n<details><summary>"
                         f"Percentiles</summary>\n\n| percentile | training | window |\n"
                         f"|---:|---:|---:|\n{rows}\n\n</details>")
        elif f.get("shares"):
            rows = "\n".join(f"| {text(k, 40)} | {_pct(v['reference'])} | {_pct(v['window'])} |"
                             for k, v in f["shares"].items())
            unseen = f.get("unseen") or {}
            seen = ", ".join(code(v, 40) for v in unseen.get("values", []))
            extra = f"\n\nUnseen values, most common first: {seen}" if seen else ""
            parts.append(f"#### {text(name, 40)}\n\n| value | training | window |\n|---|---:|"
                         f"---:|\n{rows}{extra}")
    return ("### What moved, in detail\n\n" + "\n\n".join(parts)) if parts else ""


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.1f} %"
