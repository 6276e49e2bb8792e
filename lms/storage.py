"""Files every application server must see: a folder, or an S3-compatible bucket.

Four kinds of files live outside the database: the issued certificates' PDFs, the question files
and the units' or officials' spreadsheets uploaded and waiting for their confirmation, and the images
of imported courses. Each asks for its *area* (``store("certificates")``, ``store("quiz-imports")``,
``store("org-imports")``, ``store("course_media")``) and gets a ``Store``: read, write, delete, when it
was written, and the list of what is there, by key (``VP2026...-r1.pdf``, ``<slug>/<name>.svg``).

Where the files go is one setting:

* no ``LMS_STORAGE_URL`` (or a directory in it): folders, as before: each area's own setting
  (``CERT_STORAGE_DIR``, ``QUIZ_IMPORT_DIR``, ``ORG_IMPORT_DIR``, ``COURSE_MEDIA_DIR``), else
  ``LMS_SHARED_DIR/<area>`` (a volume every server mounts), else ``<instance>/<area>``;
* ``LMS_STORAGE_URL=s3://bucket/prefix``: objects ``prefix/<area>/<key>`` in a bucket of any
  S3-compatible service (MinIO, Ceph, a cloud's object storage) through boto3, with
  ``LMS_S3_ENDPOINT_URL``, ``LMS_S3_REGION``, ``LMS_S3_ACCESS_KEY_ID`` and
  ``LMS_S3_SECRET_ACCESS_KEY`` (without the keys, boto3's own chain: ``AWS_*`` variables, its
  files, the machine's role).

Stores are plain picklable values (the certificates' render pool sends one to its workers); the S3
client is made once per process and settings.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

from lms.config import SHARED_FOLDERS

AREAS = {name: key for key, name in SHARED_FOLDERS}  # area -> its folder setting


class StorageError(RuntimeError):
    """The storage answered with something other than the file or "not there" (a programming or
    operations error: wrong bucket, credentials, the service down)."""


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


@dataclass(frozen=True)
class DirectoryStore:
    """Files under ``root`` (created on the first write); a write is atomic (a temporary file, then
    a rename), so a reader on another server never sees half a file."""

    root: Path

    def __str__(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def modified(self, key: str) -> float | None:
        """When the file was last written (a POSIX timestamp), or None when it is not there."""
        try:
            stat = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return stat.st_mtime

    def listing(self) -> Iterator[tuple[str, float]]:
        """``(key, modified)`` of every file (temporary files of writes under way left out)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                continue
            try:
                if path.is_file():
                    yield path.relative_to(self.root).as_posix(), path.stat().st_mtime
            except FileNotFoundError:  # removed meanwhile by another request
                continue


@dataclass(frozen=True)
class S3Options:
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)


_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def _client(options: S3Options):
    """One boto3 client per process and settings (clients are thread-safe; made after a fork)."""
    cache_key = (os.getpid(), options)
    client = _clients.get(cache_key)
    if client is None:
        with _clients_lock:
            client = _clients.get(cache_key)
            if client is None:
                import boto3
                from botocore.config import Config

                client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=options.endpoint_url,
                    region_name=options.region,
                    aws_access_key_id=options.access_key_id,
                    aws_secret_access_key=options.secret_access_key,
                    config=Config(
                        connect_timeout=5,
                        read_timeout=30,
                        retries={"max_attempts": 3, "mode": "standard"},
                        # most S3-compatible servers (MinIO, Ceph) expect the bucket in the path
                        s3={"addressing_style": "path" if options.endpoint_url else "auto"},
                    ),
                )
                _clients[cache_key] = client
    return client


def _not_found(exc) -> bool:
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code")) in {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Store:
    """Objects ``<prefix><key>`` in ``bucket``."""

    bucket: str
    prefix: str
    options: S3Options

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _call(self, method: str, key: str | None = None, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        if key is not None:
            kwargs["Key"] = self.prefix + _check_key(key)
        try:
            return getattr(_client(self.options), method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if _not_found(exc):
                return None
            raise StorageError(f"{self}: {method} {key or ''}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"{self}: {method} {key or ''}: {exc}") from exc

    def read(self, key: str) -> bytes | None:
        answer = self._call("get_object", key)
        return None if answer is None else answer["Body"].read()

    def write(self, key: str, data: bytes) -> None:
        self._call("put_object", key, Body=data)

    def delete(self, key: str) -> None:
        self._call("delete_object", key)

    def modified(self, key: str) -> float | None:
        answer = self._call("head_object", key)
        return None if answer is None else answer["LastModified"].timestamp()

    def listing(self) -> Iterator[tuple[str, float]]:
        token = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call("list_objects_v2", Prefix=self.prefix, **extra) or {}
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :], item["LastModified"].timestamp()
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return


Store = DirectoryStore | S3Store


def parse_storage_url(url: str | None) -> tuple[str, str] | None:
    """``s3://bucket/prefix`` -> ``("bucket", "prefix/")``; None for no URL or a directory."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "s3":
        return None
    if not parts.netloc:
        raise ValueError(f"LMS_STORAGE_URL={url!r}: no bucket (s3://bucket/prefix)")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def store_for(config: Mapping, area: str, directory: str | os.PathLike) -> Store:
    """The store of ``area`` under ``config``: the bucket when ``STORAGE_URL`` names one, else the
    folder ``directory`` (the area's own folder setting, as each feature reads it)."""
    bucket = parse_storage_url(config.get("STORAGE_URL"))
    if bucket is None:
        return DirectoryStore(Path(directory))
    name, prefix = bucket
    options = S3Options(
        endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        region=config.get("S3_REGION") or None,
        access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
        secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
    )
    return S3Store(name, f"{prefix}{area}/", options)


def store(area: str) -> Store:
    """The current app's store of ``area`` (one of ``AREAS``)."""
    config = current_app.config
    directory = config.get(AREAS[area]) or Path(current_app.instance_path) / area
    return store_for(config, area, directory)
