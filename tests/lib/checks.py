"""The pass/fail tally the whole-process test scripts share (tests/integration, tests/e2e).

Each check prints "pass NAME" or "FAIL NAME" (with the detail indented below it); the script
ends with "PREFIX: N passed, M failed", which scripts/test counts.
"""


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"pass {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f"\n    {detail}" if detail else ""))
        return ok
