"""The backup archive: an uncompressed tar whose first member is a manifest.

Members, in this order: ``manifest.json`` (format, versions, engine, schema revision, row counts,
checksums), ``blobs.index`` (one ``sha256 size`` line per blob the database references),
``database/…`` (the dump), ``trust/…`` (trusted roots), then ``blobs/<sha256>``. Every member's
SHA-256 is in the manifest or, for blobs, is the blob's name. Reading stages each member into a
directory while hashing it, so one pass both verifies and unpacks; anything unexpected (another
name, a link, a missing or surplus member, a wrong size or hash) makes the archive "damaged".
The checksums catch damage, not forgery: restore only archives you made.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Protocol

from eoffice.system.backup.errors import ArchiveDamaged

FORMAT = "eoffice-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BLOB_INDEX = "blobs.index"
DATABASE_MEMBERS = {"sqlite": "database/eoffice.sqlite3", "postgresql": "database/eoffice.pgdump"}
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
CHUNK = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")
TRUST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class Progress(Protocol):
    """What the CLI's progress bar (or a test) is told."""

    def phase(self, label: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


@dataclass(frozen=True)
class FileEntry:
    member: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    created_at: str
    eoffice_version: str
    engine: str
    server_version: str
    schema_revision: str
    database: FileEntry
    blob_index: FileEntry
    blob_count: int
    blob_bytes: int
    tables: dict[str, int]
    trust_files: list[FileEntry] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse and shape-check a manifest; :raises ArchiveDamaged: when it is not one."""
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise ArchiveDamaged("Tệp không phải bản sao lưu eoffice")
            raw["database"] = FileEntry(**raw["database"])
            raw["blob_index"] = FileEntry(**raw["blob_index"])
            raw["trust_files"] = [FileEntry(**entry) for entry in raw.get("trust_files", [])]
            manifest = cls(**raw)
            _check_types(manifest)
        except ArchiveDamaged:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise ArchiveDamaged("Tệp kê khai (manifest.json) của bản sao lưu bị hỏng") from e
        return manifest


def _check_types(m: Manifest) -> None:
    entries = [m.database, m.blob_index, *m.trust_files]
    ok = (
        isinstance(m.format_version, int)
        and all(isinstance(e.size, int) and SHA256.match(str(e.sha256)) for e in entries)
        and isinstance(m.tables, dict)
        and all(isinstance(k, str) and isinstance(v, int) for k, v in m.tables.items())
        and isinstance(m.blob_count, int)
        and isinstance(m.schema_revision, str)
    )
    if not ok:
        raise TypeError("manifest field of the wrong type")


def blob_index_bytes(blobs: list[tuple[str, int]]) -> bytes:
    return "".join(f"{sha} {size}\n" for sha, size in blobs).encode()


def parse_blob_index(data: bytes) -> dict[str, int]:
    try:
        pairs = [line.split(" ") for line in data.decode("ascii").splitlines()]
        index = {sha: int(size) for sha, size in pairs}
    except ValueError as e:
        raise ArchiveDamaged("Danh mục tệp (blobs.index) của bản sao lưu bị hỏng") from e
    if len(index) != len(pairs) or not all(SHA256.match(sha) for sha in index):
        raise ArchiveDamaged("Danh mục tệp (blobs.index) của bản sao lưu bị hỏng")
    return index


def sha256_file(path: Path) -> FileEntry:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileEntry(str(path), digest.hexdigest(), size)


class _HashingReader:
    """Reads a file for tarfile while hashing it and reporting progress."""

    def __init__(self, f: IO[bytes], progress: Progress) -> None:
        self.f, self.progress, self.digest = f, progress, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.digest.update(data)
        self.progress.advance(len(data))
        return data


class ArchiveWriter:
    """Writes members to ``<path>.partial``; ``commit`` fsyncs and renames it into place."""

    def __init__(self, path: Path, created: float) -> None:
        self.path, self.created = path, created
        self.partial = path.with_name(path.name + ".partial")
        # Closed by commit() or abort(): the writer lives across the caller's steps.
        self.tar = tarfile.open(self.partial, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(self.created), 0o600
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        import io

        self.tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def add_file(self, name: str, path: Path, size: int, progress: Progress) -> str:
        """Add a file of known size; return the SHA-256 of what was written."""
        with open(path, "rb") as f:
            reader = _HashingReader(f, progress)
            self.tar.addfile(self._info(name, size), reader)  # type: ignore[arg-type]
        return reader.digest.hexdigest()

    def commit(self) -> None:
        self.tar.close()
        with open(self.partial, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        self.tar.close()
        self.partial.unlink(missing_ok=True)


@dataclass
class Staged:
    """An archive unpacked and verified member by member into ``root``."""

    root: Path
    manifest: Manifest
    blobs: dict[str, int]

    @property
    def database(self) -> Path:
        return self.root / "database"

    def blob(self, sha: str) -> Path:
        return self.root / "blobs" / sha

    def trust(self, name: str) -> Path:
        return self.root / "trust" / name


def stage_archive(
    path: Path, root: Path, progress: Progress, accept: Callable[[Manifest], None]
) -> Staged:
    """Unpack ``path`` into ``root``, verifying every member; ``accept`` vets the manifest first.

    :raises ArchiveDamaged: on anything but a complete, unaltered archive.
    """
    for sub in ("blobs", "trust"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    progress.phase("Kiểm tra và giải nén bản sao lưu", path.stat().st_size)
    with _open_tar(path) as members:
        first = next(members, None)
        if first is None or first[0].name != MANIFEST or first[0].size > MAX_MANIFEST_BYTES:
            raise ArchiveDamaged("Tệp không phải bản sao lưu eoffice (thiếu manifest.json)")
        manifest = Manifest.from_json(first[1].read())
        accept(manifest)
        seen: dict[str, str] = {}
        for info, stream in members:
            target = _member_target(info, manifest, root)
            if info.name in seen:
                raise ArchiveDamaged(
                    "Tệp sao lưu có thành phần lặp lại: {name}", params={"name": info.name}
                )
            seen[info.name] = _copy_hashing(stream, target, progress)
    return _check_complete(root, manifest, seen)


@contextmanager
def _open_tar(path: Path) -> Iterator[Iterator[tuple[tarfile.TarInfo, IO[bytes]]]]:
    try:
        with tarfile.open(path, "r|") as tar:
            yield _regular_members(tar)
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as e:
        raise ArchiveDamaged(
            "Tệp sao lưu bị hỏng hoặc bị cắt cụt ({reason})", params={"reason": str(e)}
        ) from e


def _regular_members(tar: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    for info in tar:
        stream = tar.extractfile(info) if info.isreg() else None
        if stream is None:
            raise ArchiveDamaged(
                "Tệp sao lưu có thành phần không phải tệp thường: {name}",
                params={"name": info.name},
            )
        yield info, stream


def _member_target(info: tarfile.TarInfo, manifest: Manifest, root: Path) -> Path:
    """Where a member is staged; only the names an eoffice backup writes are allowed."""
    name = info.name
    if name == BLOB_INDEX:
        return root / "blobs.index"
    if name == manifest.database.member and name in DATABASE_MEMBERS.values():
        return root / "database"
    prefix, _, rest = name.partition("/")
    if prefix == "blobs" and SHA256.match(rest):
        return root / "blobs" / rest
    if prefix == "trust" and TRUST_NAME.match(rest):
        return root / "trust" / rest
    raise ArchiveDamaged("Tệp sao lưu có thành phần lạ: {name}", params={"name": name[:200]})


def _copy_hashing(stream: IO[bytes], target: Path, progress: Progress) -> str:
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            progress.advance(len(chunk))
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _check_complete(root: Path, manifest: Manifest, seen: dict[str, str]) -> Staged:
    def expect(entry: FileEntry) -> None:
        if seen.pop(entry.member, None) != entry.sha256:
            raise ArchiveDamaged(
                "Tệp sao lưu bị hỏng: {what} thiếu hoặc sai mã kiểm tra",
                params={"what": entry.member},
            )

    for entry in (manifest.database, manifest.blob_index, *manifest.trust_files):
        expect(entry)
    index = parse_blob_index((root / "blobs.index").read_bytes())
    for sha, size in index.items():
        if seen.pop(f"blobs/{sha}", None) != sha or (root / "blobs" / sha).stat().st_size != size:
            raise ArchiveDamaged(
                "Tệp sao lưu bị hỏng: tệp {sha} thiếu hoặc sai mã băm", params={"sha": sha}
            )
    if seen or len(index) != manifest.blob_count or sum(index.values()) != manifest.blob_bytes:
        raise ArchiveDamaged("Tệp sao lưu có thành phần không được kê khai")
    return Staged(root, manifest, index)
