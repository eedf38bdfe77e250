"""Sync between kiosks through a hub: signed batches of the append-only event log over HTTP.

``protocol`` is the wire format and request signing. The kiosk's side: ``errors``, ``state``
(its ``sync_state`` row), ``connection`` (HTTP to the hub), ``session`` (signed requests),
``push`` and ``pull``, ``client`` (a whole run), ``catch_up`` (after a restore from a backup),
``enrolment`` (enrol, restore from the hub), ``scheduler`` (when to sync). ``hub`` is the hub
server: its app, routes and store. ``cli`` holds the ``kiosk hub ...``, ``kiosk enrol``,
``kiosk sync`` and ``kiosk restore-from-hub`` commands.
"""
