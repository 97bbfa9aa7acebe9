"""Photo evidence: prepare a photo file (upright, downscaled JPEG) and store it by its hash.

Qt-free on purpose: the window, the command line and tests all attach photos the same way.
The image work runs in worker processes (:func:`prepare_all`); storing stays with the caller.
"""

from fieldapp.photos.ingest import DEFAULT_MAX_SIDE, THUMB_SIDE, PreparedPhoto, prepare
from fieldapp.photos.parallel import prepare_all
from fieldapp.photos.store import PhotoStore, SignatureStore

__all__ = [
    "DEFAULT_MAX_SIDE",
    "THUMB_SIDE",
    "PhotoStore",
    "PreparedPhoto",
    "SignatureStore",
    "prepare",
    "prepare_all",
]
