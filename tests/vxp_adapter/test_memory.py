"""glibc malloc thresholds set from inside the process (worker, hub)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from vxp_adapter.memory import tune_malloc

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's; elsewhere tune_malloc is a no-op"
)

# Page faults taken per message when each one holds a few megabyte buffers at once (message
# bytes, base64 text, decoded file) and frees them all, as building and parsing edXML does.
PROBE = """
import json, resource, sys
from vxp_adapter.memory import tune_malloc
applied = tune_malloc() if sys.argv[1] == "tune" else {}
def message():
    held = [bytearray(1400 * 1024), bytearray(2 * 1024 * 1024), bytearray(1024 * 1024)]
    return len(held)
for _ in range(5):
    message()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    message()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"faults": faults, "applied": applied}))
"""


def _probe(mode: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_tuned_process_keeps_freed_megabyte_buffers():
    default, tuned = _probe("defaults"), _probe("tune")
    assert tuned["applied"] == {"MALLOC_TRIM_THRESHOLD_": True, "MALLOC_MMAP_THRESHOLD_": True}
    # glibc's defaults hand the 4.4 MiB back to the kernel after each message (~1,100 faults).
    assert default["faults"] > 50 * 500
    assert tuned["faults"] < default["faults"] / 10


def test_operator_environment_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1048576")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert tune_malloc() == {"MALLOC_TRIM_THRESHOLD_": False, "MALLOC_MMAP_THRESHOLD_": True}
