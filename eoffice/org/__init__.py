"""Agencies (QCVN 102 codes, levels), units, users, roles, delegation, API tokens."""
