"""Offline sync for stations without a network: a bundle (ZIP) the county imports.

``fieldapp sync export -o BUNDLE.zip`` writes the same manifests an online sync would send, plus
every blob they need, named by hash; ``fieldapp-server import BUNDLE.zip`` verifies each blob's
hash and commits each manifest through the very code an online push uses, so importing twice, or
syncing online afterwards, stores nothing twice. Exporting marks nothing as synced: only a receipt
from the server does.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from fieldapp.domain.records import BatchStatus
from fieldapp.errors import InvalidInput
from fieldapp.reports.output import atomic_output
from fieldapp.settings import Settings
from fieldapp.storage.models import SyncBatch, local_now
from fieldapp.store import Store
from fieldapp.sync import state, wire
from fieldapp.sync.client import _blob_path, build_manifest

FORMAT_VERSION = 1


def export(store: Store, settings: Settings, target: Path, batch_size: int = 200) -> dict[str, int]:
    """Write every unconfirmed evaluation with its blobs to ``target``; counts of what went in."""
    manifests: list[wire.Manifest] = []
    with store.session() as session:
        while True:
            manifest = build_manifest(session, False, batch_size, settings.inspector_name)
            if manifest is None or (manifests and not manifest.evaluations):
                break
            if manifests:  # unit changes travel once, in the first manifest, which commits first
                manifest = manifest.model_copy(update={"unit_changes": []})
            manifests.append(manifest)
            # Hold them as "exporting" so the next build_manifest picks the following ones.
            state.start_batch(session, manifest, "bundle")
            session.flush()
        for manifest in manifests:
            row = session.get(SyncBatch, manifest.batch_id)
            assert row is not None
            row.status = BatchStatus.EXPORTED
            row.finished_at = local_now()
        if not manifests:
            raise InvalidInput("没有需要导出的评价：所有已定稿的评价都已同步到县局服务器")
        hashes = sorted({h for m in manifests for h in m.blob_hashes()})
        found = {h: _blob_path(store, h) for h in hashes}
        missing = [h for h, path in found.items() if path is None]
        if missing:
            raise InvalidInput(
                f"有 {len(missing)} 个照片或签名文件在本机找不到（如 {missing[0]}），"
                "未导出。请从备份恢复照片文件夹后再导出"
            )
        header = {
            "format": wire.BUNDLE_FORMAT,
            "version": FORMAT_VERSION,
            "account": {"name": settings.inspector_name, "station": settings.station},
            "exported_at": local_now().isoformat(),
            "blobs": hashes,
            "manifests": [m.model_dump(mode="json") for m in manifests],
        }
        total = 0
        with atomic_output(target) as tmp, zipfile.ZipFile(tmp, "w") as archive:
            archive.writestr(wire.BUNDLE_MANIFEST, json.dumps(header, ensure_ascii=False, indent=1))
            for sha in hashes:
                path = found[sha]
                assert path is not None
                archive.write(path, f"blobs/{sha}", compress_type=zipfile.ZIP_STORED)
                total += path.stat().st_size
    return {
        "evaluations": sum(len(m.evaluations) for m in manifests),
        "unit_changes": sum(len(m.unit_changes) for m in manifests),
        "blobs": len(hashes),
        "bytes": total,
    }
