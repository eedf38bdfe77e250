"""Sync between kiosks through a hub: signed batches of the append-only event log over HTTP.

``protocol`` is the wire format and request signing, ``hub_store`` and ``hub`` the hub server,
``client`` the kiosk's push/pull, ``cli`` the ``kiosk hub ...``, ``kiosk enrol``, ``kiosk sync``
and ``kiosk restore-from-hub`` commands.
"""
