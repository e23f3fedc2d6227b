"""The release bundle: everything a GitHub release of one version carries, in one folder.

build/release/<version>/ holds the model file, its metadata, the model card, the metrics, the
exact dvc.lock and, when it answers as the model does on the holdout, the model as ONNX
(mlproject.portable) for applications not written in Python. release.json describes the
release (tag, title, commit, notes file, files, what the ONNX export did); `mlproject release`
(mlproject.ci) validates it and makes the single `gh release create` call, so no `${{ }}` is
needed in a workflow's `run:`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mlproject import artifact, portable, storage
from mlproject.registry import Settings, card


def write_bundle(root: Path, settings: Settings, version: str, commit: str, params: Any,
                 candidate: dict, verdict: Any, prod: Any, baseline: dict | None) -> Path:
    """Write build/release/<version>/ and return its path."""
    from mlproject.verdict.scoring import HOLDOUT

    out = root / settings.release_dir / version
    if out.exists():
        shutil.rmtree(out)  # an earlier run that stopped before tagging
    out.mkdir(parents=True)
    model = root / settings.model
    shutil.copy2(model, out / model.name)
    shutil.copy2(artifact.sidecar(model), out / artifact.sidecar(model).name)
    shutil.copy2(root / "dvc.lock", out / "dvc.lock")
    portable_file = out / portable.FILE
    exported = portable.write(model, root / HOLDOUT, portable_file)
    print(f"promote: {exported['reason']}")
    tag = f"{settings.artifact}@{version}"
    previous = {"version": prod.version, "commit": prod.commit} if prod else None
    storage.write_json(out / "metrics.json", {
        "version": version, "tag": tag, "commit": commit, "results": candidate,
        "gate": verdict.to_json(), "previous_production": previous,
        "previous_results": baseline, "portable": exported})
    text = card.render(root, settings, version, commit, params, candidate, verdict, prod, baseline,
                       exported)
    storage.write_bytes(out / "model_card.md", text.encode("utf-8"))
    rel = out.relative_to(root)
    names = [model.name, artifact.sidecar(model).name, "model_card.md", "metrics.json",
             "dvc.lock", *([portable_file.name] if exported["shipped"] else [])]
    storage.write_json(out / "release.json", {
        "tag": tag, "version": version, "title": f"{settings.artifact} {version}",
        "commit": commit, "notes_file": str(rel / "model_card.md"),
        "files": [str(rel / name) for name in names], "portable": exported["reason"]})
    return out

