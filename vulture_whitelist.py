"""Names the dead-code gate (vulture, scripts/test.sh) cannot see being used.

vulture reads this file with ``fieldapp/`` (pyproject.toml ``[tool.vulture]``); it is never
imported. Any use of a name here counts as a use of every definition of that name, so each
group says who uses it. Functions decorated as FastAPI routes and exception handlers, pydantic
validators, SQLAlchemy event listeners and Qt slots are skipped by ``ignore_decorators`` instead.

Only what a framework, the database or the tests reach belongs here: code that nothing calls is
removed, not listed.
"""

# ruff: noqa: B018
from vulture.whitelist_utils import Whitelist

# Qt calls these overrides of QWidget, QWizardPage and QAbstractItemModel itself.
qt = Whitelist()
qt.paintEvent
qt.minimumSizeHint
qt.mousePressEvent
qt.mouseMoveEvent
qt.mouseReleaseEvent
qt.tabletEvent
qt.dragEnterEvent
qt.dropEvent
qt.isComplete
qt.fetchMore
qt.textElideMode  # QStyleOptionViewItem field the delegate sets for Qt's painter

# Alembic reads these module attributes and calls downgrade() in every migration script.
alembic = Whitelist()
alembic.revision
alembic.down_revision
alembic.branch_labels
alembic.depends_on
alembic.upgrade
alembic.downgrade

# pydantic: the model configuration and wire or checklist fields that are validated and kept
# (part of the file format and the sync wire) though no code reads them back yet.
pydantic = Whitelist()
pydantic.model_config
pydantic.title_en  # checklist TOML: the English title, for the English window
pydantic.follows_uuid  # sync wire: the event a pushed event follows
pydantic.committed_at  # sync wire and server: when the server committed a batch

# SQLAlchemy columns: stored for the record (audit, exports, the server's tables) and written by
# the code; nothing reads them through the attribute.
columns = Whitelist()
columns.return_days
columns.return_goods
columns.return_terms
columns.cross_store_return
columns.compensation_fund
columns.first_seen
columns.wire_sha256
columns.uploaded_at
columns.finished_at
columns.stored_at
columns.payload_json
columns.detail_json

# Attributes other libraries read: zipfile (ZipInfo), openpyxl (cells, sheets), ReportLab
# (chart and legend widgets; the canvas attributes pdfkit reads back by name from page state),
# the sqlite3 driver (a connection's isolation_level).
libraries = Whitelist()
libraries.compress_type
libraries.alignment
libraries.freeze_panes
libraries.number_format
libraries.initialFontName
libraries.barSpacing
libraries.groupSpacing
libraries.fillColor
libraries.strokeColor
libraries.valueMin
libraries.valueStep
libraries.fontName
libraries.fontSize
libraries.labelTextFormat
libraries.visibleGrid
libraries.gridStrokeColor
libraries.categoryNames
libraries.boxAnchor
libraries.angle
libraries.columnMaximum
libraries.deltax
libraries.dx
libraries.dy
libraries.colorNamePairs
libraries._fieldapp_header
libraries._fieldapp_draft
libraries.isolation_level
libraries.row_factory  # sqlite3 reads it (storage.sqlitefile): rows by name
# ReportLab calls Flowable.wrap(availWidth, availHeight) positionally; pdfkit's marker ignores both.
libraries.available_width
libraries.available_height

# Public API that the tests use; the app itself goes through the step-by-step functions beside
# them.
api = Whitelist()
api.restore  # backup.restore: prepare_restore(...).swap() in one call
api.read_manifest  # backup.read_manifest: what an archive holds, before restoring
api.head_revision  # storage.db.head_revision: the newest migration, compared with a store's
api.events_added  # unit_sync.Adopted.events_added: what a pull added to a unit's history
api.for_station_year  # evidence.for_station_year: the year's 证据存疑 rows of a store, judged

# Hooks the window's tests drive it through (tests/ui): dialogs kept open and rows read back.
ui_tests = Whitelist()
ui_tests.confirm_box
ui_tests.is_empty
ui_tests.finalize_dialog
ui_tests.print_dialog
ui_tests.proposal_dialog
ui_tests.row_data
ui_tests.settings_dialog

# Columns written by the server and read only by the database's readers (the county's audit).
server_columns = Whitelist()
server_columns.changed_at  # logins.changed_at: when a console password was last set

# ReportLab calls this override of its QR encoder (fieldapp/reports/qr.py) from make().
reportlab_hooks = Whitelist()
reportlab_hooks.getBestMaskPattern

# ReportLab's module-level setting, read by ReportLab when it writes images (reports/pdfkit.py:
# photos go in as JPEG, not re-encoded as ASCII85).
rl_config = Whitelist()
rl_config.useA85

# Enum members named only by the checklist files' values ("gates", "base"), which pydantic turns
# into them (domain/verdict.py: PassRule, ChecklistKind).
checklist_values = Whitelist()
checklist_values.GATES
checklist_values.BASE
