"""Keys: PKCS#12 files and PKCS#11 tokens (SoftHSM2), with their failure modes."""

from __future__ import annotations

import pytest

from signing import (
    BottomLine,
    LeaderSignature,
    Pkcs11Spec,
    load_pkcs12,
    open_pkcs11,
    sign_leader,
    validate_pdf,
)
from signing.errors import (
    InvalidKeyFile,
    TokenKeyNotFound,
    TokenLoginFailed,
    TokenUnavailable,
    WrongPassphrase,
)

from .conftest import LEADER, PASSPHRASE


def test_pkcs12_gives_certificate_and_chain(pki_env):
    key = load_pkcs12(pki_env.p12(LEADER), PASSPHRASE)
    assert key.subject_name == LEADER
    assert len(key.chain) == 2  # issuing CA and root
    assert key.signature_size == 256


def test_wrong_passphrase_is_a_typed_error(pki_env):
    with pytest.raises(WrongPassphrase) as err:
        load_pkcs12(pki_env.p12(LEADER), "sai-mat-khau")
    assert "Mật khẩu" in err.value.vi


def test_not_a_pkcs12_file():
    with pytest.raises(InvalidKeyFile):
        load_pkcs12(b"day khong phai PKCS#12", PASSPHRASE)


def _spec(softhsm, **changes) -> Pkcs11Spec:
    values = {
        "module_path": softhsm["module"],
        "token_label": softhsm["token"],
        "pin": softhsm["pin"],
        "key_label": softhsm["label"],
    }
    values.update(changes)
    return Pkcs11Spec(**values)


def test_token_key_signs_a_valid_signature(softhsm, pki_env, prepared_draft, offline):
    chain = ((pki_env.directory / "ca" / "intermediate-ca.pem").read_bytes(),)
    with open_pkcs11(_spec(softhsm, chain=chain)) as key:
        assert key.subject_name == LEADER
        signed = sign_leader(prepared_draft, key, LeaderSignature(LEADER))
    report = validate_pdf(signed.pdf, offline)
    (sig,) = report.signatures
    assert sig.intact and sig.valid and sig.trusted
    assert report.bottom_line is not BottomLine.RED


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"module_path": "/usr/lib/khong-co/libpkcs11.so"}, TokenUnavailable),
        ({"token_label": "token-da-rut"}, TokenUnavailable),
        ({"pin": "0000"}, TokenLoginFailed),
        ({"key_label": "khong-co-khoa"}, TokenKeyNotFound),
    ],
    ids=["module-missing", "token-absent", "wrong-pin", "key-missing"],
)
def test_token_problems_are_typed_errors(softhsm, changes, error):
    with pytest.raises(error) as err, open_pkcs11(_spec(softhsm, **changes)):
        pass
    assert err.value.vi  # a Vietnamese message for the user
