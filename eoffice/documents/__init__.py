"""Documents: registers, numbering, incoming/outgoing workflow, attachments and search.

The pure rules (document types, numbering formats, text folding, Phụ lục VI fields) need no database.
"""
