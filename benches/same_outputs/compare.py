#!/usr/bin/env python3
"""compare.py A B [--report-markup]: compares two run.sh trees file by file, ignoring what differs
between any two runs (times in manifest.json and run.json, stage seconds, paths, history stamps).
--report-markup also treats report.html as equal when only its markup spelling differs (newlines
between tags, self-closed SVG elements, &#39;), as the move of the report to maud changed it."""
import json, os, re, sys, filecmp
A, B = sys.argv[1], sys.argv[2]
def norm_manifest(p, root):
    m = json.load(open(p))
    for k in ("started_at", "finished_at", "stage_seconds"): m.pop(k, None)
    return json.dumps(m, sort_keys=True).replace(root, "ROOT")
def norm_text(p, root):
    t = open(p, encoding="utf-8", errors="replace").read().replace(root, "ROOT")
    return re.sub(r"\d+\.\d+ ?s\b", "T s", t)
def norm_report(s):
    # maud writes no newline between tags, no self-closing tag, and ' as it is
    s = s.replace(">\n<", "><")
    s = re.sub(r"<(rect|line)([^>]*)/>", r"<\1\2></\1>", s)
    return s.replace("&#39;", "'")
def rel_files(root):
    out = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f); r = os.path.relpath(p, root)
            if f == ".out.lock": continue
            r = re.sub(r"runs/(\d{4}-\d\d-\d\d)_\d{14}_", r"runs/\1_STAMP_", r)
            out[r] = p
    return out
fa, fb = rel_files(A), rel_files(B)
bad = []
for r in sorted(set(fa) | set(fb)):
    if r not in fa or r not in fb: bad.append(("missing", r)); continue
    pa, pb = fa[r], fb[r]
    if r.endswith("manifest.json"): same = norm_manifest(pa, A) == norm_manifest(pb, B)
    elif r.endswith("run.json"):
        ja, jb = json.load(open(pa)), json.load(open(pb)); ja.pop("finished_at"); jb.pop("finished_at"); same = ja == jb
    elif r.endswith("stdout") or r.endswith("stderr"): same = norm_text(pa, A) == norm_text(pb, B)
    elif r.endswith("report.html") and "--report-markup" in sys.argv:
        same = norm_report(open(pa, encoding="utf-8").read()) == norm_report(open(pb, encoding="utf-8").read())
    else: same = filecmp.cmp(pa, pb, shallow=False)
    if not same: bad.append(("differs", r))
print(f"{len(fa)} files compared; {len(bad)} differ")
for k, r in bad[:40]: print(k, r)
