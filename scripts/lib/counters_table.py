"""Prints README's dataplane counter table from dataplane/counters.def (its one source).

usage: python3 scripts/lib/counters_table.py [--check README.md]
With --check, exits 1 when README's table (between the two marker comments) is out of date.
"""
import re
import sys
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEGIN, END = "<!-- counters:begin -->", "<!-- counters:end -->"


def table():
    rows = ["| counter (`-packets`, `-bytes`) | meaning |", "| --- | --- |"]
    with open(os.path.join(ROOT, "dataplane", "counters.def")) as f:
        for m in re.finditer(r'DSTM_COUNTER\(\s*k\w+,\s*"([^"]+)",\s*"([^"]+)"\)', f.read()):
            rows.append(f"| `{m.group(1)}` | {m.group(2)} |")
    return "\n".join(rows)


if len(sys.argv) == 3 and sys.argv[1] == "--check":
    text = open(sys.argv[2]).read()
    current = text[text.find(BEGIN) + len(BEGIN):text.find(END)].strip()
    if BEGIN not in text or current != table():
        print(f"{sys.argv[2]}: the counter table is out of date; regenerate it with scripts/lib/counters_table.py")
        sys.exit(1)
    sys.exit(0)
print(table())
