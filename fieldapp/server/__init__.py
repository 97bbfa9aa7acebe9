"""The county server (``fieldapp-server``), installed with the ``server`` extra.

It uses the same core as the desktop app. This first version answers ``/health`` (with the
server's clock, which sync compares against) and publishes its OpenAPI document; the sync API,
accounts and review arrive with the sync work.
"""
