"""Importing the county's unit list and the stations' task table from CSV or XLSX."""
