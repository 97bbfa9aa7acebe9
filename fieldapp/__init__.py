"""fieldapp: 放心消费单位现场评价 — the inspectors' desktop app and its Qt-free core.

Everything in this package except :mod:`fieldapp.ui` is the core: it never imports Qt, so the
window, the ``fieldapp`` command line and the county server all drive the same code.
"""

__version__ = "0.1.0"
