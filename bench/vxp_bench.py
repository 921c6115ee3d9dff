"""Benchmark: build and parse an edoc carrying a 1 MB PDF (target: >= 200 messages/s).

Run on demand: `.venv/bin/python bench/vxp_bench.py [--seconds 5] [--size-mb 1] [--glibc-defaults]`.

Like `eoffice worker` and `eoffice vxp-hub`, the benchmark raises glibc's malloc thresholds at
start (`vxp_adapter.memory.tune_malloc`): each message allocates a few fresh megabyte-sized
buffers (base64 text, decoded file), and with glibc's defaults the heap is trimmed after each
message and the next one pays page faults again. `--glibc-defaults` measures without it.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date, datetime

from vxp_adapter.dates import VN_TZ
from vxp_adapter.edxml_build import build_edoc
from vxp_adapter.edxml_parse import parse_edoc
from vxp_adapter.memory import tune_malloc
from vxp_adapter.model import Attachment, DocumentType, Edoc, Organization, SignerInfo, TraceHeader


def sample(pdf: bytes) -> Edoc:
    return Edoc(
        sender=Organization("000.00.00.G22", "Văn phòng Chính phủ"),
        recipients=(Organization("000.00.00.H41", "UBND tỉnh Nghệ An"),),
        code_number="123",
        code_notation="VPCP-TEST",
        promulgation_date=date(2024, 5, 2),
        subject="V/v triển khai kết nối trục liên thông văn bản",
        document_type=DocumentType(1, 0, "Công văn"),
        signer=SignerInfo("KT. BỘ TRƯỞNG", "Thứ trưởng", "Nguyễn Văn An"),
        traces=(TraceHeader("000.00.00.G22", datetime(2024, 5, 2, 9, 15, tzinfo=VN_TZ)),),
        attachments=(Attachment("cv123.pdf", pdf, content_id="c1"),),
    )


def measure(label: str, step, seconds: float) -> float:
    """Run `step` repeatedly; print wall-clock and CPU-time rates; return the CPU-time rate.

    The CPU-time rate is what one core sustains; it stays meaningful on a busy machine,
    where the wall-clock rate also counts time spent waiting for a core.
    """
    step()  # warm up (schema load, imports)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    count, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds:
        step()
        count += 1
    cpu = time.process_time() - cpu_start
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    print(
        f"{label:<32} wall {count / elapsed:7.1f} msg/s   cpu {count / cpu:7.1f} msg/s"
        f"   ({cpu / count * 1000:.2f} ms cpu, {faults // count} page faults each, n={count})"
    )
    return count / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument(
        "--glibc-defaults", action="store_true", help="leave glibc's malloc thresholds alone"
    )
    args = parser.parse_args()
    print("malloc tuned:", "no" if args.glibc_defaults else tune_malloc() or "not glibc")
    pdf = b"%PDF-1.7\n" + os.urandom(int(args.size_mb * 1024 * 1024))
    edoc = sample(pdf)
    data = build_edoc(edoc)
    assert parse_edoc(data).attachments[0].data == pdf

    measure("build (with XSD check)", lambda: build_edoc(edoc), args.seconds)
    measure("parse", lambda: parse_edoc(data), args.seconds)
    rate = measure(
        "build + parse (with XSD check)", lambda: parse_edoc(build_edoc(edoc)), args.seconds
    )
    measure(
        "build + parse (no XSD check)",
        lambda: parse_edoc(build_edoc(edoc, check_schema=False)),
        args.seconds,
    )
    verdict = "met" if rate >= 200 else "NOT met"
    print(f"target 200 msg/s (one core, build + parse with XSD): {verdict} ({rate:.0f} msg/s)")


if __name__ == "__main__":
    main()
