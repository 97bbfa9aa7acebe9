"""File formats fieldapp writes, named once: the exporter checks them, the command line offers
them (without importing the exporter and openpyxl)."""

EXPORT_FORMATS = ("xlsx", "csv")
