"""SoftHSM2 tokens for tests, all in one token directory per test process.

SoftHSM reads ``SOFTHSM2_CONF`` and lists its tokens when the PKCS#11 module is initialised,
and python-pkcs11 keeps the module initialised for the whole process. So every test that uses
SoftHSM shares one configuration (set once, by the ``softhsm`` fixture of tests/conftest.py),
and the module is initialised again after a token is added, so that it sees the new token.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "123456"


class SoftHsm:
    """A token directory; :meth:`add_token` puts keys from PKCS#12 files on a new token."""

    def __init__(self, base: Path) -> None:
        (base / "tokens").mkdir(parents=True, exist_ok=True)
        self.conf = base / "softhsm2.conf"
        self.conf.write_text(
            f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n"
        )
        self.base = base
        self._next_id = 1

    def _run(self, *args: str) -> None:
        env = {**os.environ, "SOFTHSM2_CONF": str(self.conf)}
        done = subprocess.run(args, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{args[0]} failed: {done.stderr or done.stdout}"

    def add_token(self, label: str, pin: str, keys: Sequence[tuple[str, bytes, str]]) -> None:
        """Create token ``label`` holding, for each ``(key_label, p12, passphrase)``, the private
        key and its certificate under ``key_label``."""
        self._run(
            "softhsm2-util", "--init-token", "--free", "--label", label,
            "--pin", pin, "--so-pin", SO_PIN,
        )  # fmt: skip
        for key_label, p12, passphrase in keys:
            key, cert, _ = pkcs12.load_key_and_certificates(p12, passphrase.encode("utf-8"))
            assert key is not None and cert is not None
            key_path, cert_path = self.base / "key.der", self.base / "cert.der"
            key_path.write_bytes(
                key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
            )
            cert_path.write_bytes(cert.public_bytes(Encoding.DER))
            object_id = f"{self._next_id:02x}"
            self._next_id += 1
            for path, kind in ((key_path, "privkey"), (cert_path, "cert")):
                self._run(
                    "pkcs11-tool", "--module", MODULE, "--token-label", label, "--login",
                    "--pin", pin, "--write-object", str(path), "--type", kind,
                    "--id", object_id, "--label", key_label,
                )  # fmt: skip
            key_path.unlink()
        _reinitialise()


def _reinitialise() -> None:
    """Make an already initialised module list the tokens again."""
    import pkcs11

    loaded = pkcs11._loaded.get(MODULE)
    if loaded is not None:
        loaded.reinitialize()
