"""Printing: device-independent documents, ESC/POS and PNG renderers, the print queue.

Sits below the app: never imports ``kiosk``; settings come as plain dicts.

- ``document``: the model (Text, Columns, Separator, Feed, QrCode, Barcode, Logo, Cut).
- ``layouts``: payload -> Document (receipt, voucher, member_card, statement, board_sheet,
  mailbox_slip, test_page); ``build_document``.
- ``escpos_render`` / ``preview``: Document -> ESC/POS bytes / PNG at the paper's dot width.
- ``text``: code pages and transliteration; ``i18n``: the ``printing`` gettext domain, Babel.
- ``transports``: ``make_printer(settings)`` for preview, network, usb, serial, file, cups.
- ``status``: ``PrinterState``, ``PrinterStatus``, ``printer_ready_for_vouchers``.
- ``queue``: the ``print_jobs`` table; ``worker``: ``PrintWorker``, ``print_pending``.
- ``admin``: the functions the admin page calls.
"""
