"""Compares the final held-out loss of optim-train runs with the first one:
prints each run's ratio and fails unless every one is within --within
(relative) of the first."""
import argparse
import re
import sys

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--within", type=float, required=True)
parser.add_argument("runs", nargs="+")
args = parser.parse_args()


def final_loss(path):
    with open(path) as f:
        match = re.search(r"^final held-out loss (\S+)$", f.read(), re.M)
    if not match:
        sys.exit(f"{path}: no final held-out loss")
    return float(match.group(1))


reference = final_loss(args.runs[0])
failed = False
for path in args.runs[1:]:
    loss = final_loss(path)
    ratio = loss / reference
    ok = abs(ratio - 1) <= args.within
    failed |= not ok
    print(f"{'OK' if ok else 'FAIL'} {path.rsplit('.', 1)[-1]}: final loss "
          f"{loss:.6f} = {ratio:.4f}x the reference {reference:.6f}")
sys.exit(1 if failed else 0)
