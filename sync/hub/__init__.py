"""The hub: the app factory (``app``), its routes as a Blueprint (``routes``) and its SQLite
store: schema and migrations (``schema``), enrolled kiosks and signed requests (``kiosks``),
the events held (``store``), vouchers settled twice (``vouchers``), the dashboard
(``dashboard``). Importing the store loads no Flask: ``kiosk hub enrol-code`` stays quick."""
