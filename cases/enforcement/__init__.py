"""Enforcement case data (执法案件数据, policy §13, §14): every case of every unit, uploaded in real
time by the units' own systems, kept with all its versions.

- ``models``: the violation items, the upload clients (a unit's system and its API token), the
  key table that keeps (unit, case number) unique, and the case versions, partitioned by the
  year of 立案 (migration ``0009_enforcement_cases``).
- ``checks``: one row of an upload checked into clean values or (field, reason) errors.
- ``services``: the batch upload (idempotent per row) and the yearly partitions.
- ``selectors``: the scoped search, detail and figures; ``views`` the pages, ``api`` the upload.
"""
