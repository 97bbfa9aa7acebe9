"""Sync with the county server: wire models (shared with the server), the client, bundles.

Receipts, not hope: the client makes the ids and the hashes, every request is idempotent, and an
evaluation counts as synced only when the server's receipt confirms it and each of its blobs.
"""
