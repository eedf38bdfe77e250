"""The web shell every feature's views share: the session and its resident, access decorators,
the page context, Jinja filters, URLs, base templates and static files. The app factory is
``kiosk.app.create_app``."""
