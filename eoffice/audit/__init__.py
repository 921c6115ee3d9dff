"""Append-only audit trail with a hash chain (tampering is detectable by `eoffice audit verify`)."""
