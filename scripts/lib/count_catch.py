"""Reads a Catch2 2.x console report on stdin; prints "passed failed" test-case counts.

Catch2 ends with either "All tests passed (A assertions in N test cases)" or
"test cases: N | P passed | F failed". A report with neither (a crash) counts as one failure.
"""
import re
import sys

text = sys.stdin.read()
m = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", text)
if m:
    print(m.group(1), 0)
    sys.exit(0)
m = re.search(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed", text)
if m:
    print(m.group(2), m.group(3))
    sys.exit(0)
m = re.search(r"test cases:\s*(\d+)\s*\|\s*(\d+) failed", text)
if m:
    print(0, m.group(2))
    sys.exit(0)
print(0, 1)
