"""Printed CEEC vouchers: issue, redeem, cancel, the hub's verdicts on double redemptions.

Imports ledger, residents and below.
"""
