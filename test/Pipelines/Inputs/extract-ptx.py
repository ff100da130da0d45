"""Prints the PTX that a gpu.binary (format=isa) carries, unescaped: the
first one, or with --index N the N-th (from 0) of the input's binaries."""
import argparse
import re
import sys

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--index", type=int, default=0)
args = parser.parse_args()
text = sys.stdin.read()
matches = re.findall(r'assembly = "((?:[^"\\]|\\.)*)"', text)
if len(matches) <= args.index:
    sys.exit(f"no gpu.binary #{args.index} with PTX assembly in the input "
             f"({len(matches)} found)")
print(re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)),
             matches[args.index]))
