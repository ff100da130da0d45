"""Fails when stdin has more than argv[1] lines (a --help that grew long)."""
import sys

lines = sys.stdin.readlines()
limit = int(sys.argv[1])
if len(lines) > limit:
    sys.exit("%d lines, more than %d" % (len(lines), limit))
