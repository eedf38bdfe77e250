"""The CEEC ledger: transfers, exchanges, reversals, statements, receipts and statistics.

Imports residents and below; never vouchers, board, projects, community or admin.
"""
