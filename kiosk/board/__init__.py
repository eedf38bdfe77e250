"""The board of the building: offers and requests, messages, payment requests, the lending
register and the weekly sheet. Imports ledger, residents and below.
"""
