"""Printing: device-independent documents, ESC/POS and PNG renderers, the print queue."""
