"""Coverage-guided fuzzing of the edXML parser with atheris (libFuzzer), run by `make fuzz`.

Every input must either parse or raise InvalidMessage; anything else — a parser exception that
escapes, a RecursionError, running out of the memory cap — is a crash, and libFuzzer writes the
input that caused it to ``$FUZZ_ARTIFACTS`` (default: a temporary folder) and exits non-zero.
The seeds are the real messages in tests/data/edxml and the hostile corpus; new inputs found
are kept in a temporary copy, so the repository is never written.

    python tests/fuzz/fuzz_edxml.py [SECONDS]    # default 20

With SECONDS at its default the run is reproducible: a fixed seed and at most 1500 inputs, so
CI cannot fail by chance on a crash no one has seen here (FUZZ_SEED=random for a new search).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from vxp_adapter import attachments, edxml_parse, xmlsafe
    from vxp_adapter.errors import InvalidMessage

DATA = Path(__file__).resolve().parents[1] / "data"
# Small limits keep each run fast; the checks they exercise are the same.
LIMITS = xmlsafe.Limits(
    max_message_bytes=512 * 1024,
    max_elements=5_000,
    max_attachment_bytes=1024 * 1024,
    max_total_unzipped_bytes=4 * 1024 * 1024,
)
assert attachments  # instrumented above: the zip and base64 paths are what is fuzzed most


def one_input(data: bytes) -> None:
    with contextlib.suppress(InvalidMessage):
        edxml_parse.parse_message(data, LIMITS)


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20
    work = Path(tempfile.mkdtemp(prefix="fuzz-edxml-"))
    corpus = work / "corpus"
    corpus.mkdir()
    hostile = DATA / "hostile"
    seeds = [
        *(DATA / "edxml").glob("*"),
        *(hostile / "edxml").glob("*"),
        *(hostile / "found").glob("*"),
    ]
    for seed in seeds:
        if seed.stat().st_size <= LIMITS.max_message_bytes:
            shutil.copy(seed, corpus / seed.name)
    artifacts = os.environ.get("FUZZ_ARTIFACTS", str(work / "crashes"))
    Path(artifacts).mkdir(parents=True, exist_ok=True)
    seed = os.environ.get("FUZZ_SEED", "1")
    args = [
        sys.argv[0],
        # The default run is counted in inputs, with time only as a ceiling on a slow machine.
        *(
            ["-runs=1500", "-max_total_time=50"]
            if seconds == 20
            else [f"-max_total_time={seconds}"]
        ),
        *([f"-seed={seed}"] if seed != "random" else []),
        "-rss_limit_mb=1536",
        "-timeout=10",
        "-max_len=524288",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts.rstrip('/')}/",
        str(corpus),
    ]
    print(f"fuzzing the edXML parser for {seconds} s; crashes go to {artifacts}", flush=True)
    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
