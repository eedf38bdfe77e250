"""Building projects: members, news, tasks, dues, and group purchases in euros.

Imports ledger, residents and below.
"""
