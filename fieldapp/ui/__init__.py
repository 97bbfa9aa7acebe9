"""The desktop window: everything that imports PySide6 lives in this package and nowhere else.

The core (``fieldapp.store``, ``fieldapp.services`` …) never imports from here; the window drives
the same core the command line does.
"""
