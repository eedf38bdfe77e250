"""The volunteer's work: residents and cards, reversals, moving out, exports, the printer and
sync pages, the kiosk's health. The highest feature package: it may import every other one.
"""
