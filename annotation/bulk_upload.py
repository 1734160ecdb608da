"""Bulk upload: many call files plus a CSV or JSON of per-call metadata, matched by file name.

Everything is checked first (every metadata row, every file's container), and every problem is
reported together; only when there is none is anything stored. The batch is then stored whole or
not at all: whatever fails while a file is stored (a full disk, the storage, the database), the
calls stored before it are removed, and the machine passes are queued only once every file is in.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction

from annotera.jsonlimits import json_text_problem, loads_bounded

from .jobs import queued_jobs_send
from .models import Call, Project, Speaker
from .services import UploadOutcome, _inspect_audio, call_delete, call_upload, upload_display_name

logger = logging.getLogger(__name__)

BCP47 = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
FILE_COLUMNS = ("file", "file_name", "filename")
LOCALE_COLUMNS = ("locale", "caller_locale")
METADATA_MAX_BYTES = 5 * 1024 * 1024
METADATA_MAX_ROWS = 10000


@dataclass(frozen=True)
class CallMetadata:
    locale: str = ""
    metadata: dict = field(default_factory=dict)  # agent_id, customer_id and every extra column


@dataclass(frozen=True)
class Duplicate:
    """A file of the batch whose audio was already there: not stored again, and its own metadata
    (locale, the metadata row's values, the channel layout) not applied to the call it matched."""

    file: str
    call: Call
    earlier_file: str = ""  # the file of this batch that stored ``call``; "" when it was there before
    differences: tuple[str, ...] = ()  # "locale en-IN (call 12 has en-GB)", one per value not applied

    @property
    def message(self) -> str:
        if self.earlier_file:
            where = f"{self.earlier_file}, stored earlier in this batch as call {self.call.pk}"
        else:
            where = f"call {self.call.pk} ({self.call.original_name}), already in this project"
        text = f"{self.file} is the same audio as {where}; it was not stored again."
        if self.differences:
            text += (
                f" Its metadata differs from call {self.call.pk}'s and was not applied: {'; '.join(self.differences)}."
            )
        return text


@dataclass(frozen=True)
class BulkResult:
    outcomes: list[UploadOutcome]
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(o.created for o in self.outcomes)


class BatchStoreFailed(ValidationError):
    """Storing the checked batch failed part-way (``__cause__`` is why); nothing of it was kept
    (``leftovers`` names what could not be removed)."""

    def __init__(self, message: str, leftovers: list[str]) -> None:
        super().__init__(message)
        self.leftovers = leftovers


def _differences(call: Call, *, locale: str, metadata: dict, roles: list[str]) -> tuple[str, ...]:
    """What this file's own metadata says that ``call`` does not (what was not applied)."""
    own = f"call {call.pk} has"
    out = []
    if locale and locale != call.locale:
        out.append(f"locale {locale} ({own} {call.locale or 'none'})")
    for key, value in metadata.items():
        have = (call.metadata or {}).get(key)
        if have != value:
            out.append(f"{key} {value} ({own} {'none' if have in (None, '') else have})")
    if roles and call.channel_roles and list(roles) != list(call.channel_roles):
        out.append(f"channel layout {','.join(roles)} ({own} {','.join(call.channel_roles)})")
    return tuple(out)


def _failure(exc: BaseException) -> str:
    """Why storing failed, in words a person can act on; details stay in the server log."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror  # "No space left on device", "Permission denied"
    return "an unexpected error on the server (the details are in its log)"


def _base_name(name: str) -> str:
    """A file's name as ``call_upload`` shows it, for the files and the metadata rows alike, so
    that a row matches its file whatever the accents, emoji or Unicode form ("Anruf Kündigung.wav"
    typed on Windows, the same name sent by a Mac in decomposed form)."""
    return upload_display_name(name)


def _rows_from_csv(text: str) -> tuple[list[tuple[str, dict]], list[str]]:
    errors: list[str] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        table = list(reader)
    except csv.Error as exc:
        return [], [f"The CSV cannot be read: {exc}."]
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        return [], ["The metadata file is empty; it needs a header row (file, locale, agent_id, customer_id, …)."]
    header = [h.strip().lower() for h in table[0]]
    if len(set(header)) != len(header) or "" in header:
        return [], ["The CSV header has an empty or repeated column name."]
    rows = []
    for number, row in enumerate(table[1:], start=2):
        if len(row) != len(header):
            errors.append(f"row {number}: {len(row)} value(s) but the header has {len(header)} column(s).")
            continue
        rows.append((f"row {number}", {h: cell.strip() for h, cell in zip(header, row, strict=True)}))
    return rows, errors


def _rows_from_json(text: str) -> tuple[list[tuple[str, dict]], list[str]]:
    try:
        data = loads_bounded(text)  # depth first: 50,000 '[' are a RecursionError in json.loads
    except json.JSONDecodeError as exc:
        return [], [f"The JSON cannot be read: {exc.msg} at line {exc.lineno}, column {exc.colno}."]
    except ValueError as exc:
        return [], [f"The JSON cannot be used: {exc}"]
    if isinstance(data, dict):  # {"call1.wav": {...}, ...}
        data = [{"file": name, **value} if isinstance(value, dict) else value for name, value in data.items()]
    if not isinstance(data, list):
        return [], ["The JSON must be a list of objects, or an object keyed by file name."]
    rows, errors = [], []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            errors.append(f"entry {number}: must be an object with at least a 'file' key.")
            continue
        rows.append((f"entry {number}", {str(k).strip().lower(): v for k, v in item.items()}))
    return rows, errors


def metadata_parse(*, data: bytes, filename: str) -> dict[str, CallMetadata]:
    """File name -> metadata, or ValidationError listing every bad row."""
    result, errors, _ = metadata_read(data=data, filename=filename)
    if errors:
        raise ValidationError(errors)
    return result


def metadata_read(*, data: bytes, filename: str) -> tuple[dict[str, CallMetadata], list[str], set[str]]:
    """(file name -> metadata of the good rows, every error, every file name a row gives, good
    or bad): the names let a batch be checked against the files even while some rows are bad."""
    if len(data) > METADATA_MAX_BYTES:
        return {}, [f"The metadata file is over {METADATA_MAX_BYTES // 2**20} MB."], set()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}, ["The metadata file is not UTF-8 text; save it as UTF-8 CSV or JSON."], set()
    is_json = filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{")
    rows, errors = (_rows_from_json if is_json else _rows_from_csv)(text)
    if len(rows) > METADATA_MAX_ROWS:
        return {}, [f"The metadata file has {len(rows)} rows; the limit is {METADATA_MAX_ROWS}."], set()
    result: dict[str, CallMetadata] = {}
    named: set[str] = set()
    for where, row in rows:
        name_key = next((k for k in FILE_COLUMNS if k in row), None)
        name = _base_name(str(row.get(name_key) or "")) if name_key else ""
        if not name:
            errors.append(f"{where}: no file name (a 'file' column is required).")
            continue
        where = f"{where} ({name})"
        if name in named:
            errors.append(f"{where}: the file is listed twice.")
            continue
        named.add(name)
        locale_key = next((k for k in LOCALE_COLUMNS if k in row), None)
        locale = str(row.get(locale_key) or "").strip() if locale_key else ""
        if locale and not BCP47.fullmatch(locale):
            errors.append(f"{where}: '{locale}' is not a BCP 47 locale (e.g. en-IN, es-MX).")
            continue
        extra = {k: v for k, v in row.items() if k not in (name_key, locale_key) and k and v not in (None, "")}
        bad = [k for k, v in extra.items() if not isinstance(v, str | int | float | bool)]
        if bad:
            errors.append(f"{where}: {', '.join(bad)} must be plain values, not lists or objects.")
            continue
        # JSON's NaN and Infinity, and NUL (a CSV cell may hold one), cannot be stored: refused here,
        # by row, rather than failing the whole batch in the database.
        bad = [k for k, v in extra.items() if isinstance(v, float) and not math.isfinite(v)]
        if bad:
            errors.append(f"{where}: {', '.join(bad)} must be a finite number (not NaN or Infinity).")
            continue
        problem = json_text_problem(row)
        if problem:
            errors.append(f"{where}: {problem}")
            continue
        if len(json.dumps(extra)) > 10000:
            errors.append(f"{where}: the metadata is over 10,000 characters.")
            continue
        result[name] = CallMetadata(locale=locale, metadata=extra)
    return result, errors, named


def _precheck_file(fileobj: IO[bytes], display_name: str) -> str:
    """The checks ``call_upload`` makes before storing (``_inspect_audio``: size, container,
    header, samples), in its words, run on every file first."""
    try:
        _inspect_audio(fileobj, display_name)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def calls_bulk_upload(
    *,
    project: Project,
    files: list,
    metadata: bytes | None = None,
    metadata_name: str = "",
    uploaded_by=None,
    locale: str = "",
    channel_roles: list[str] | None = None,
    start_pipeline: bool = True,
) -> BulkResult:
    """Check every file and metadata row, then store all the calls (or none)."""
    if not files:
        raise ValidationError("Choose at least one audio file.")
    roles = channel_roles or project.channel_layout.split(",")
    bad_roles = [r for r in roles if r not in Speaker.Role.values]
    if bad_roles:
        raise ValidationError(f"Unknown channel role(s): {', '.join(bad_roles)}. Use agent, customer or unknown.")
    if locale and not BCP47.fullmatch(locale):
        raise ValidationError(f"'{locale}' is not a BCP 47 locale (e.g. en-IN, es-MX).")
    errors: list[str] = []
    by_name: dict[str, CallMetadata] = {}
    named: set[str] = set()
    if metadata is not None:
        by_name, problems, named = metadata_read(data=metadata, filename=metadata_name)
        errors += [f"metadata {m}" if m.startswith(("row ", "entry ")) else m for m in problems]
    names = [_base_name(getattr(f, "name", "")) or "call" for f in files]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.append(f"{name}: uploaded twice in this batch.")
        seen.add(name)
    if metadata is not None:  # the rows read (some may be bad) against the files
        errors += [f"metadata names {n}, which is not among the uploaded files." for n in sorted(named - seen)]
        if not problems:  # a bad row may be the missing file's own: then its error says so
            errors += [f"{n}: no row for this file in the metadata file." for n in names if n not in named]
    for fileobj, name in zip(files, names, strict=True):
        problem = _precheck_file(fileobj, name)
        if problem:
            errors.append(problem)
    if errors:
        raise ValidationError(errors)
    outcomes: list[UploadOutcome] = []
    duplicates: list[Duplicate] = []
    stored_by: dict[int, str] = {}  # call id -> the file of this batch that stored it
    current = ""
    try:
        for fileobj, name in zip(files, names, strict=True):
            current = name
            meta = by_name.get(name, CallMetadata())
            outcome = call_upload(
                project=project,
                fileobj=fileobj,
                filename=name,
                uploaded_by=uploaded_by,
                locale=meta.locale or locale,
                metadata=meta.metadata,
                channel_roles=roles,
                start_pipeline=start_pipeline,
                send_pipeline=False,  # made with the call (the reaper sends it if this dies), sent below
                inspected=True,  # by _precheck_file above
            )
            outcomes.append(outcome)
            if outcome.created:
                stored_by[outcome.call.pk] = name
            else:
                duplicates.append(
                    Duplicate(
                        file=name,
                        call=outcome.call,
                        earlier_file=stored_by.get(outcome.call.pk, ""),
                        differences=_differences(
                            outcome.call, locale=meta.locale or locale, metadata=meta.metadata, roles=roles
                        ),
                    )
                )
        current = ""
        if start_pipeline:
            with transaction.atomic():  # sent after commit, once the whole batch is stored
                queued_jobs_send(calls=[o.call for o in outcomes if o.created])
    except BaseException as exc:
        leftovers = _undo(outcomes)
        if isinstance(exc, ValidationError) and not leftovers:
            raise  # a file changed under us between the check and the store: its own message says how
        if not isinstance(exc, Exception):
            raise  # an interrupt: nothing to tell a person
        logger.exception("bulk upload to project %s failed while storing %r", project.slug, current)
        during = f"while storing {current}" if current else "while queueing the machine pass"
        kept = (
            f" These calls stored before the failure could not be removed: {', '.join(leftovers)}."
            if leftovers
            else " Nothing was stored."
        )
        reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else _failure(exc)
        raise BatchStoreFailed(f"The upload failed {during}: {reason.rstrip('.')}.{kept}", leftovers) from exc
    return BulkResult(outcomes=outcomes, duplicates=duplicates)


def _undo(outcomes: list[UploadOutcome]) -> list[str]:
    """Remove the calls this batch stored; returns the ones that could not be removed (named)."""
    leftovers = []
    for outcome in outcomes:
        if outcome.created:
            try:
                call_delete(call=outcome.call)
            except Exception:
                logger.exception("could not remove call %s after a failed bulk upload", outcome.call.pk)
                leftovers.append(f"call {outcome.call.pk} ({outcome.call.original_name})")
    return leftovers
