"""Prints the PTX that a gpu.binary (format=isa) carries, unescaped."""
import re
import sys

text = sys.stdin.read()
match = re.search(r'assembly = "((?:[^"\\]|\\.)*)"', text)
if not match:
    sys.exit("no gpu.binary with PTX assembly in the input")
print(re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)),
             match.group(1)))
