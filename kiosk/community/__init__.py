"""The building's collective life: notices, urgent alerts, polls and the idle screen.

Imports board, projects, ledger, residents and below (the idle screen shows offers and projects).
"""
