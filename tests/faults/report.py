"""One line of figures per fault case, the same for every case: what was injected, what the public saw
meanwhile, rows expected / found / duplicated, and how many plain re-runs it took to converge. Printed (pytest
-s shows it) and, when `SATUDATA_FAULT_REPORT` names a file, appended to it as JSON for bench/fault_bench.py."""

import json
import os
from dataclasses import asdict, dataclass


@dataclass
class FaultFigures:
    case: str
    faults: str  # what was injected, into which process, when
    public_saw: str  # during the fault
    expected: int  # rows the source holds
    found: int  # rows the portal (or warehouse) holds after the re-runs
    duplicated: int
    reruns: int  # plain re-runs until it converged

    @property
    def lost(self) -> int:
        return max(self.expected - (self.found - self.duplicated), 0)


def record(figures: FaultFigures) -> FaultFigures:
    print(
        f"\nfault case {figures.case}: {figures.faults}; the public saw {figures.public_saw}; rows expected "
        f"{figures.expected:,} / found {figures.found:,} / lost {figures.lost} / duplicated "
        f"{figures.duplicated}; converged after {figures.reruns} re-run(s)"
    )
    if path := os.environ.get("SATUDATA_FAULT_REPORT"):
        with open(path, "a", encoding="utf-8") as report:
            report.write(json.dumps(asdict(figures) | {"lost": figures.lost}) + "\n")
    return figures
