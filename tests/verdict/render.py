"""Render a comment the way GitHub shows it: GitHub's Markdown parser, Mermaid, a browser.

    python tests/verdict/render.py report.md out.png [--width 400] [--open]

Markdown goes through cmark-gfm (GitHub's own parser, the `cmarkgfm` package); ```mermaid
blocks are drawn by the Mermaid release GitHub serves (11.4, from npm); headless Chromium takes
the picture. Folded <details> stay closed unless --open. `render` returns the page's text after
Mermaid ran, so tests can look for Mermaid's error message and for outside images.

Needs: chromium on PATH, and the npm packages `mermaid@11.4.1` and `github-markdown-css@5.9.0`
in a node_modules folder on NODE_PATH (`.ci/run` installs them).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

MERMAID = Path("mermaid/dist/mermaid.min.js")
CSS = Path("github-markdown-css/github-markdown.css")
ERROR = "mermaid-error"  # the class of the element the page adds when Mermaid fails


def node_modules() -> Path | None:
    """The node_modules folder holding Mermaid and GitHub's CSS, if installed."""
    for folder in os.environ.get("NODE_PATH", "").split(os.pathsep):
        if folder and (Path(folder) / MERMAID).is_file() and (Path(folder) / CSS).is_file():
            return Path(folder)
    return None


def browser() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def page(markdown: str, modules: Path, width: int, opened: bool) -> str:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    # GitHub draws ```mermaid fences; cmark writes them as <pre lang="mermaid"><code>
    body = re.sub(r'<pre lang="mermaid"><code>(.*?)</code></pre>',
                  lambda m: f'<pre class="mermaid">{m.group(1)}</pre>', body, flags=re.S)
    if opened:
        body = body.replace("<details>", "<details open>")
    if body.rfind("<!--") > body.rfind("-->"):  # GitHub drops an unclosed comment's remains
        body += "-->"
    return f"""<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="file://{modules / CSS}">
<style>body{{margin:0;padding:16px;width:{width - 32}px}} .markdown-body{{font-size:14px}}</style>
<script src="file://{modules / MERMAID}"></script></head>
<body><article class="markdown-body">{body}</article>
<script>mermaid.initialize({{startOnLoad:false}});
mermaid.run().then(() => {{document.body.dataset.done = "yes";}}, e => {{
  document.body.insertAdjacentHTML("afterbegin",
    "<pre class='{ERROR}' style='color:red'>" + String(e).replace(/</g, "&lt;") + "</pre>");}});
</script></body></html>"""


def render(markdown: str, png: Path | None = None, width: int = 1000, height: int = 2400,
           opened: bool = False) -> str:
    """Render ``markdown``; save a PNG when asked; return the page's HTML after scripts ran."""
    modules, chromium = node_modules(), browser()
    if modules is None or chromium is None:
        raise RuntimeError("needs chromium and NODE_PATH with mermaid and github-markdown-css")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.html"
        path.write_text(page(markdown, modules, width, opened), encoding="utf-8")
        flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 f"--user-data-dir={tmp}/profile", "--allow-file-access-from-files",
                 "--virtual-time-budget=10000", f"--window-size={width},{height}"]
        dom = subprocess.run([*flags, "--dump-dom", f"file://{path}"], check=True,
                             capture_output=True, text=True, timeout=120).stdout
        if png is not None:
            subprocess.run([*flags, f"--screenshot={Path(png).resolve()}", f"file://{path}"],
                           check=True, capture_output=True, timeout=120)
    return dom


def mermaid_errors(dom: str) -> list[str]:
    """Mermaid's complaints in a rendered page: a failed run, or a diagram drawn as an error."""
    found = re.findall(rf'<pre class="{ERROR}"[^>]*>([^<]*)', dom)
    found += ["a diagram shows Mermaid's syntax error" for _ in
              re.finditer(r"Syntax error in text|class=\"error-icon\"", dom)]
    return [html.unescape(f) for f in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("markdown", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--open", action="store_true", help="show folded sections opened")
    args = parser.parse_args()
    dom = render(args.markdown.read_text(encoding="utf-8"), args.png, args.width, args.height,
                 args.open)
    problems = mermaid_errors(dom)
    print("\n".join(problems) if problems else f"{args.png}: rendered, no Mermaid errors")


if __name__ == "__main__":
    main()
