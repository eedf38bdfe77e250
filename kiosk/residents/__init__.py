"""Residents: who lives here, logging in with card and PIN, and neighbour verification.

Lowest feature package: it imports only the core (``kiosk.clock``, ``kiosk.config``...), the
store and printing. Every other feature may import it.
"""
