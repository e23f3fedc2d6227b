"""Copy matched files to $ACT_ARTIFACT_SINK/<name>/ relative to their common ancestor."""
import glob
import os
import shutil

sink = os.path.join(os.environ["ACT_ARTIFACT_SINK"], os.environ["IN_NAME"])
files = []
for pattern in filter(None, (p.strip() for p in os.environ["IN_PATH"].splitlines())):
    for match in glob.glob(pattern, recursive=True):
        if os.path.isdir(match):
            files += [os.path.join(d, f) for d, _, fs in os.walk(match) for f in fs]
        else:
            files.append(match)
if not files:
    print(f"[standin upload-artifact] {os.environ['IN_NAME']}: no files")
    raise SystemExit(1 if os.environ["IN_NONE"] == "error" else 0)
root = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
for f in files:
    dest = os.path.join(sink, os.path.relpath(os.path.abspath(f), root))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy2(f, dest)
print(f"[standin upload-artifact] {os.environ['IN_NAME']}: {len(files)} files")
