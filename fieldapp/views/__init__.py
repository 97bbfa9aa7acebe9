"""Read models: typed, Qt-free answers to what a screen, a command's ``--json`` or a sheet shows.

They read through a plain ``sqlite3`` connection (:meth:`fieldapp.store.Store.raw_read`) with
rows by name, so the first page of the window and an office command cost a query, not the ORM.
"""
