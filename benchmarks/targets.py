"""Targets a benchmark checks: each printed with its measured figure and one verdict, and the exit status.

    t = Targets("load_data")
    t.at_most("median load time", 0.22, 0.5, "s")
    t.at_least("test accuracy", 97.9, 97.8, "%")
    return t.report()          # prints the verdicts; 0 if every target is met, else 1

A benchmark run with shortened settings (a quick run) can ``skip`` the targets
that only apply to the full run; a skipped target is said so, and is not met.
"""

from __future__ import annotations


class Targets:
    def __init__(self, name: str):
        self.name = name
        self.rows: list[tuple[str, str, str, str]] = []  # (what, target, measured, verdict)

    def check(self, what: str, met: bool, target: str, measured: str) -> bool:
        self.rows.append((what, target, measured, "met" if met else "MISSED"))
        return met

    def at_most(self, what: str, value: float, limit: float, unit: str = "", fmt: str = ".3g") -> bool:
        return self.check(what, value <= limit, f"<= {limit:{fmt}}{unit}", f"{value:{fmt}}{unit}")

    def at_least(self, what: str, value: float, limit: float, unit: str = "", fmt: str = ".3g") -> bool:
        return self.check(what, value >= limit, f">= {limit:{fmt}}{unit}", f"{value:{fmt}}{unit}")

    def within(self, what: str, value: float, low: float, high: float, unit: str = "", fmt: str = ".3g") -> bool:
        return self.check(what, low <= value <= high, f"{low:{fmt}}-{high:{fmt}}{unit}", f"{value:{fmt}}{unit}")

    def skip(self, what: str, target: str, why: str) -> None:
        self.rows.append((what, target, "-", f"not checked: {why}"))

    def report(self) -> int:
        """Print one line per target and a summary; 0 if every target was checked and met, else 1."""
        width = [max(len(row[i]) for row in self.rows) for i in range(3)] if self.rows else [0, 0, 0]
        print(f"\n{self.name}: targets")
        for what, target, measured, verdict in self.rows:
            print(f"  {what:<{width[0]}}  target {target:<{width[1]}}  measured {measured:<{width[2]}}  {verdict}")
        missed = [row[0] for row in self.rows if row[3] == "MISSED"]
        unchecked = [row[0] for row in self.rows if row[3].startswith("not checked")]
        met = len(self.rows) - len(missed) - len(unchecked)
        print(f"{self.name}: {met} of {len(self.rows)} targets met" + (f"; MISSED: {', '.join(missed)}" if missed else "")
              + (f"; not checked: {', '.join(unchecked)}" if unchecked else ""))
        return 0 if met == len(self.rows) else 1
