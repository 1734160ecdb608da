"""Writes for projects and calls. Views, API and commands call these; they validate, then save."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from annotera.audit import audit_record
from annotera.models import AuditEvent
from annotera.names import BIDI_CONTROLS
from taxonomy.models import Taxonomy
from taxonomy.selectors import taxonomy_scales

from .jobs import pipeline_start, retry_stage
from .matching import LANGUAGE_NAMES
from .models import (
    AnnotatorProfile,
    Call,
    Project,
    ProjectMembership,
    Speaker,
    Suggestion,
    SuggestionModel,
    TaxonomyChange,
    Turn,
    TurnAnnotation,
)
from .pipeline.audio import HEAD_BYTES, AudioRejected, check_head, inspect_upload
from .pipeline.whisper_languages import language_code
from .project_setup import languages_declared
from .storage import audio_limits, derived_dir, pcm_path
from .taxonomy_versions import labels_in_version, suggestion_in_version, version_mappings


@dataclass(frozen=True)
class UploadOutcome:
    call: Call
    created: bool  # False: the same audio was already in the project (sha256 de-duplication)


def project_create(
    *, name: str, slug: str, taxonomy: Taxonomy, overlap_k: int = 3, blind_share: float = 0.1, description: str = ""
) -> Project:
    if not taxonomy.is_published:
        raise ValidationError({"taxonomy": "A project can only pin a published taxonomy version."})
    project = Project(
        name=name, slug=slug, taxonomy=taxonomy, overlap_k=overlap_k, blind_share=blind_share, description=description
    )
    project.full_clean()
    project.save()
    return project


MATCHING_RULE_FIELDS = ("overlap_k", "blind_share", "required_proficiency", "locale_match")


def project_rule_update(
    *,
    project: Project,
    actor,
    overlap_k: int,
    blind_share: float,
    required_proficiency: str,
    locale_match: str,
    channel_layout: str | None = None,
    spoken_languages: str | Sequence[str] | None = None,
) -> Project:
    """Change a project's matching rule (overlap, blind share, proficiency, locale) and, if given,
    its default channel layout and the languages its calls are in, validated and saved with its
    audit row in one transaction. Applies to calls assigned (uploaded) from now on."""
    optional = {"channel_layout": channel_layout, "spoken_languages": spoken_languages}
    fields = [*MATCHING_RULE_FIELDS, *(name for name, value in optional.items() if value is not None)]
    languages = languages_declared(spoken_languages) if spoken_languages is not None else None
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        before = {field: getattr(locked, field) for field in fields}
        locked.overlap_k, locked.blind_share = overlap_k, blind_share
        locked.required_proficiency, locked.locale_match = required_proficiency, locale_match
        if channel_layout is not None:
            locked.channel_layout = channel_layout
        if languages is not None:
            locked.spoken_languages = languages
        locked.full_clean()
        locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="project.rule_update",
            obj=locked,
            project=locked,
            before=before,
            after={field: getattr(locked, field) for field in fields},
        )
    return locked


def project_add_member(*, project: Project, user, role: str) -> ProjectMembership:
    membership, _ = ProjectMembership.objects.get_or_create(project=project, user=user, role=role)
    return membership


def _hash_file(fh: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fh.seek(0)
    for block in iter(lambda: fh.read(1024 * 1024), b""):
        digest.update(block)
        size += len(block)
    fh.seek(0)
    return digest.hexdigest(), size


def upload_refusal_message(display_name: str, exc: AudioRejected) -> str:
    """An audio check's sentence, after the file's name: "call.wav: the file is empty (0 bytes)."
    The one wording of every refusal, whether the file came through the form, the API or a bulk
    upload."""
    text = str(exc)
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return f"{display_name}: {text}"


def _inspect_audio(fileobj: IO[bytes], display_name: str) -> None:
    """The container checks (``inspect_upload``: size, content sniff, header, channels, rate,
    claimed length) before anything is stored, in the decode stage's words; a file Django kept
    in memory is copied to a private temporary file for ffprobe."""
    try:
        if hasattr(fileobj, "temporary_file_path"):
            inspect_upload(fileobj.temporary_file_path(), audio_limits())
        else:
            with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
                fileobj.seek(0)
                shutil.copyfileobj(fileobj, copy, 1024 * 1024)
                copy.flush()
                inspect_upload(copy.name, audio_limits())
    except AudioRejected as exc:
        raise ValidationError(upload_refusal_message(display_name, exc)) from None
    finally:
        fileobj.seek(0)


# Bidirectional embeddings, overrides and isolates (``annotera.names.BIDI_CONTROLS``) are dropped:
# "Anruf\u202evaw.exe" would show as "Anrufexe.wav". Left-to-right and right-to-left marks stay.
UPLOAD_NAME_MAX = 255  # Call.original_name's max_length


def _display_char(ch: str) -> str:
    """A line break or tab becomes a space; other control characters, bidi overrides and
    halves of UTF-16 pairs (which no text column can hold) are dropped."""
    if ch in "\t\n\r\v\f\x85\u2028\u2029":
        return " "
    if ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs"):
        return ""
    return ch


def upload_display_name(filename: str) -> str:
    """The name a person gave their file, as shown everywhere (call list, messages, exports):
    its last path component (a browser or client may send "C:\\calls\\a.wav" or "../a.wav"),
    in NFC (macOS sends "u" + combining diaeresis for "ü"), without control characters (NUL,
    CR/LF, tabs), bidirectional overrides or halves of UTF-16 pairs; spaces, accents and
    emoji are kept. "" when nothing is left (a name of dots or of control characters only).
    The name is for display only: the stored file's name is generated (``call_audio_path``)."""
    name = unicodedata.normalize("NFC", str(filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(_display_char(ch) for ch in name).strip()
    if not name.strip(". "):
        return ""
    if len(name) > UPLOAD_NAME_MAX:
        stem, dot, suffix = name.rpartition(".")
        keep = f".{suffix}" if dot and stem and len(suffix) <= 12 else ""
        name = name[: UPLOAD_NAME_MAX - len(keep)].rstrip() + keep
    return name


def call_upload(
    *,
    project: Project,
    fileobj: IO[bytes],
    filename: str,
    uploaded_by=None,
    locale: str = "",
    metadata: dict | None = None,
    channel_roles: list[str] | None = None,
    start_pipeline: bool = True,
    send_pipeline: bool = True,
    inspected: bool = False,
) -> UploadOutcome:
    """Store an uploaded call and queue its machine pass (after commit).

    The container checks happen here so the uploader hears at once about an empty, oversized
    or non-audio file; the decoder's deeper checks run in the first pipeline stage. The same
    audio uploaded twice to one project returns the existing call. ``send_pipeline`` False: the
    machine pass's first job is made (queued) but not sent; ``jobs.queued_jobs_send`` sends it.
    """
    display_name = upload_display_name(filename) or "call"
    sha256, size = _hash_file(fileobj)
    head = fileobj.read(HEAD_BYTES)
    fileobj.seek(0)
    try:  # the size and the container again, even after a bulk check: the file might have changed since
        kind = check_head(size=size, head=head, limits=audio_limits())
    except AudioRejected as exc:
        raise ValidationError(upload_refusal_message(display_name, exc)) from None
    if not inspected:  # a bulk upload has already run the container checks on every file
        _inspect_audio(fileobj, display_name)
    if channel_roles is not None:
        bad = [r for r in channel_roles if r not in Speaker.Role.values]
        if bad:
            raise ValidationError(f"Unknown channel role(s): {', '.join(bad)}. Use agent, customer or unknown.")
    existing = Call.objects.filter(project=project, sha256=sha256).first()
    if existing is not None:
        return UploadOutcome(call=existing, created=False)
    call = Call(
        project=project,
        original_name=display_name,
        sha256=sha256,
        size_bytes=size,
        uploaded_by=uploaded_by,
        locale=locale,
        metadata=metadata or {},
        channel_roles=channel_roles or [],
    )
    # Stored under the sniffed container's extension, never the client's: a WAV that is also
    # valid HTML or JavaScript, uploaded as "a.html", is stored (and served) as audio. The name
    # is a fresh uuid (call_audio_path), chosen here so that a write that fails part-way (a full
    # disk) can remove what it wrote: the storage leaves a partial file behind.
    storage, name = call.audio.storage, call.audio.field.generate_filename(call, f"call.{kind}")
    try:
        call.audio = storage.save(name, File(fileobj), max_length=call.audio.field.max_length)
    except BaseException:
        if storage.exists(name):
            storage.delete(name)
        raise
    try:
        with transaction.atomic():
            call.full_clean(exclude=["audio"])
            call.save()
            if start_pipeline:
                pipeline_start(call=call, send=send_pipeline)
    except IntegrityError:
        # Raced with an identical upload: keep theirs, drop our copy of the file.
        call.audio.delete(save=False)
        return UploadOutcome(call=Call.objects.get(project=project, sha256=sha256), created=False)
    except BaseException:
        call.audio.delete(save=False)
        raise
    return UploadOutcome(call=call, created=True)


def turns_replace(*, call: Call, turns: Iterable[Turn]) -> list[Turn]:
    """Replace a call's turns with ``turns`` (unsaved, in speaking order; ``call`` and ``order``
    are set here), inside the caller's transaction. The machine pass and turn imports both write
    turns through this; suggestions and annotations of the old turns go with them, and so does
    the word store corrections work on (``Call.words``: rebuilt from the new turns)."""
    call.turns.all().delete()
    call.words = []
    Call.objects.filter(pk=call.pk).update(words=[])
    rows = []
    for order, turn in enumerate(turns):
        turn.call, turn.order = call, order
        rows.append(turn)
    return Turn.objects.bulk_create(rows)


def call_retry(*, call: Call) -> None:
    """Re-run a failed call's machine pass from the stage that failed (from the turns stage when
    the call has lost the turns that stage and the later ones need: ``jobs.retry_stage``).
    Refused when the audio itself is at fault (no speech, an unusable file): it would fail again."""
    with transaction.atomic():  # under the call's lock: a removal or a second Retry waits, then sees it
        locked = Call.objects.select_for_update().filter(pk=call.pk).first()
        if locked is None:
            raise ValidationError(f"{call.original_name} was removed; there is nothing to retry.")
        if locked.status != Call.Status.FAILED:
            raise ValidationError("Only a failed call can be retried.")
        if not locked.retry_can_help:
            raise ValidationError(locked.failure_advice)
        pipeline_start(call=locked, from_stage=retry_stage(locked))


def call_human_work(call: Call) -> str:
    """What people have done on the call's turns ("" for nothing): annotations, corrections or
    proposals, which new machine turns would orphan or delete."""
    if TurnAnnotation.objects.filter(turn__call=call).exists():
        return "annotators have saved annotations on its turns"
    if call.turn_revisions.exists():
        return "its turns have been corrected"
    if call.correction_proposals.exists():
        return "corrections of its turns have been proposed"
    done = set(
        AuditEvent.objects.filter(
            object_type=Call._meta.label_lower, object_id=str(call.pk), action__in=(TURNS_IMPORTED, SPEAKER_CORRECTED)
        ).values_list("action", flat=True)
    )
    if TURNS_IMPORTED in done:
        return "its turns were imported from a file"
    if SPEAKER_CORRECTED in done:
        return "its speakers' roles or names were corrected"
    return ""


def call_reprocess_refusal(call: Call) -> str:
    """Why the call cannot run its machine pass again now ("" when it can)."""
    if (
        call.status not in (Call.Status.READY, Call.Status.FAILED)
        or call.jobs.filter(status__in=("queued", "running")).exists()
    ):
        return "The machine pass is already running for this call."
    if call.failure_advice:  # the audio itself is at fault: running it again fails the same way
        return call.failure_advice
    if not pcm_path(call).exists():  # decoding never succeeded: there is nothing to read again
        return "The audio was never decoded; use Retry to run the machine pass from the start."
    work = call_human_work(call)
    return f"Not run again: {work}, and new turns would discard that work." if work else ""


def call_reprocess(*, call: Call, actor=None, send: bool = True) -> None:
    """Run the machine pass of a ready or failed call again from language identification (the
    decoded audio is kept), e.g. after the project's languages were declared. Refused while it
    runs, and once people have worked on its turns: new turns would discard that work."""
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        refusal = call_reprocess_refusal(locked)
        if refusal:
            raise ValidationError(refusal)
        audit_record(actor=actor, action="call.reprocess", obj=locked, project=locked.project,
                     after={"languages": locked.project.spoken_languages})  # fmt: skip
        pipeline_start(call=locked, from_stage="transcribe", send=send)


def call_delete(*, call: Call) -> None:
    path = derived_dir(call)
    audio = call.audio
    with transaction.atomic():
        call.delete()
    audio.delete(save=False)
    shutil.rmtree(path, ignore_errors=True)


SPEAKER_CORRECTED = "call.speaker_update"
TURNS_IMPORTED = "call.turns_import"  # written by annotation.seeding


def speaker_update(*, speaker: Speaker, role: str | None = None, name: str | None = None, actor=None) -> Speaker:
    """Correct a speaker's role (agent/customer/unknown) or display name (audited on the call:
    a re-run of the machine pass would re-guess them, so ``call_human_work`` counts it)."""
    before = {"label": speaker.label, "role": speaker.role, "name": speaker.name}
    if role is not None:
        if role not in Speaker.Role.values:
            raise ValidationError(f"Unknown role '{role}'. Use agent, customer or unknown.")
        speaker.role = role
    if name is not None:
        speaker.name = name.strip()[:120]
    speaker.full_clean()
    with transaction.atomic():
        speaker.save(update_fields=["role", "name"])
        audit_record(actor=actor, action=SPEAKER_CORRECTED, obj=speaker.call, project=speaker.call.project,
                     before=before, after={"label": speaker.label, "role": speaker.role, "name": speaker.name})  # fmt: skip
    return speaker


def call_update_metadata(*, call: Call, language_override: str | None = None, locale: str | None = None) -> Call:
    """Override the detected language or set the caller locale."""
    if language_override is not None:
        written = language_override.strip()[:60]
        # As a project's languages are read ("Spanish", "es-MX", "fil"), plus the codes annotator
        # matching names that the speech models do not know.
        code = language_code(written) if written else ""
        if code is None and written.lower() in LANGUAGE_NAMES:
            code = written.lower()
        if code is None:
            raise ValidationError(
                f"'{written}' is not a language we know. Use an ISO 639 code or an English name, such as es, "
                "Spanish or tl (or leave it empty)."
            )
        call.language_override = code
    if locale is not None:
        call.locale = locale.strip()
    call.full_clean(exclude=["audio"])
    call.save(update_fields=["language_override", "locale", "updated_at"])
    return call


def taxonomy_change_plan(*, project: Project, to_taxonomy: Taxonomy, mapping: dict[str, list[str]]) -> dict:
    """Check a label mapping from the project's version to ``to_taxonomy`` and describe it.

    Old keys not in ``mapping`` map to the same key when it still exists, else they are dropped.
    Returns {"mapping": full mapping, "renamed", "merged", "split", "dropped", "added", "kept"},
    and what the dropped labels cost (``judgements_losing_labels``): "left_with_no_label",
    "losing_some_labels" and "left_with_no_label_by_label".
    """
    if not to_taxonomy.is_published:
        raise ValidationError("A project can only move to a published taxonomy version.")
    if to_taxonomy.pk == project.taxonomy_id:
        raise ValidationError("The project already uses this version.")
    old_keys = list(project.taxonomy.labels.values_list("key", flat=True))
    new_keys = set(to_taxonomy.labels.values_list("key", flat=True))
    errors = [f"'{k}' is not a label of {project.taxonomy}." for k in mapping if k not in old_keys]
    for old, targets in mapping.items():
        errors += [f"'{t}' (for '{old}') is not a label of {to_taxonomy}." for t in targets if t not in new_keys]
    changed = scale_changes(project.taxonomy, to_taxonomy)
    if changed and TurnAnnotation.objects.filter(turn__call__project=project).exists():
        errors.append(
            f"{to_taxonomy} measures on other scales than {project.taxonomy}: {'; '.join(changed)}. "
            "The project's annotations were made on the old scales and would be read on the new ones "
            "(a 5 on a 1-5 scale read as a 5 on a 1-3 scale); Annotera does not rescale them. Publish a "
            "version with the same scales (its labels may differ), or start a new project for the new scales."
        )
    if errors:
        raise ValidationError(errors)
    full = {k: list(mapping[k]) if k in mapping else ([k] if k in new_keys else []) for k in old_keys}
    targets_of: dict[str, list[str]] = {}
    for old, targets in full.items():
        for target in targets:
            targets_of.setdefault(target, []).append(old)
    return {
        "mapping": full,
        "kept": sorted(k for k, t in full.items() if t == [k] and targets_of[k] == [k]),
        "renamed": sorted(
            f"{k} -> {t[0]}" for k, t in full.items() if len(t) == 1 and t[0] != k and len(targets_of[t[0]]) == 1
        ),
        "merged": sorted(f"{', '.join(sorted(olds))} -> {new}" for new, olds in targets_of.items() if len(olds) > 1),
        "split": sorted(f"{k} -> {', '.join(t)}" for k, t in full.items() if len(t) > 1),
        "dropped": sorted(k for k, t in full.items() if not t),
        "added": sorted(new_keys - set(targets_of)),
        **judgements_losing_labels(project=project, mapping=full),
    }


def judgements_losing_labels(*, project: Project, mapping: dict[str, list[str]]) -> dict:
    """What moving with ``mapping`` (current key -> new keys, [] = dropped) costs the project's
    judgements, each read in the current version first (older ones through the recorded changes):
    how many would keep no label ("left_with_no_label": agreement, consensus and exports then
    leave them out, ``labels_removed_by_change``), how many lose some but keep others, and per
    dropped label how many of the first kind chose it. "No emotion" decisions lose nothing, and
    judgements an earlier change already emptied are out already, so not counted again."""
    dropped = {key for key, targets in mapping.items() if not targets}
    cost = {"left_with_no_label": 0, "losing_some_labels": 0, "left_with_no_label_by_label": {}}
    if not dropped:
        return cost
    mappings = version_mappings(project, project.taxonomy)
    # Only rows whose saved labels name a key that becomes a dropped one can lose anything: the
    # database narrows to them (by text, a superset), Python decides (this ran over every judgement).
    saved_keys = {
        old for mapping in mappings.values() if mapping for old, targets in mapping.items() if set(targets) & dropped
    } | dropped
    rows = mentioning(
        TurnAnnotation.objects.judgements().filter(
            assignment__call__project=project, taxonomy_id__in=list(mappings), no_emotion=False
        ),
        ["labels"],
        saved_keys,
    ).values_list("taxonomy_id", "labels")
    by_label: dict[str, int] = {}
    for taxonomy_id, items in rows.iterator():
        chosen = {item.get("label") for item in labels_in_version(items, mappings[taxonomy_id])}
        lost = chosen & dropped
        if not lost:
            continue
        if lost == chosen:
            cost["left_with_no_label"] += 1
            for key in lost:
                by_label[key] = by_label.get(key, 0) + 1
        else:
            cost["losing_some_labels"] += 1
    cost["left_with_no_label_by_label"] = dict(sorted(by_label.items()))
    return cost


def scale_changes(old: Taxonomy, new: Taxonomy) -> list[str]:
    """How ``new``'s intensity, valence and arousal scales differ from ``old``'s, in words."""
    a, b = taxonomy_scales(old), taxonomy_scales(new)
    changes = []
    for name in ("intensity", "valence", "arousal"):
        (lo, hi), (new_lo, new_hi) = getattr(a, name), getattr(b, name)
        if (lo, hi) != (new_lo, new_hi):
            changes.append(f"{name} runs {lo:g} to {hi:g} in {old}, {new_lo:g} to {new_hi:g} in {new}")
    for name in ("valence", "arousal"):
        step, new_step = getattr(a, f"{name}_step"), getattr(b, f"{name}_step")
        if step != new_step:
            changes.append(f"{name} moves in steps of {step:g} in {old}, {new_step:g} in {new}")
    return changes


def project_change_taxonomy(
    *, project: Project, to_taxonomy: Taxonomy, mapping: dict[str, list[str]], changed_by=None
) -> TaxonomyChange:
    report = taxonomy_change_plan(project=project, to_taxonomy=to_taxonomy, mapping=mapping)
    with transaction.atomic():
        # One move at a time, from the version the plan was made for: a second submit of the same
        # form (or a move made meanwhile) would map the labels twice ("annoyance" -> "anger" -> "rage").
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.taxonomy_id != project.taxonomy_id:
            raise ValidationError(
                "The project moved to another taxonomy version meanwhile; nothing was changed. Reload the page "
                "and plan the move from the version it uses now."
            )
        change = TaxonomyChange.objects.create(
            project=project,
            from_taxonomy=project.taxonomy,
            to_taxonomy=to_taxonomy,
            mapping=report.pop("mapping"),
            report=report,
            changed_by=changed_by,
        )
        audit_record(
            actor=changed_by,
            action="project.taxonomy_change",
            obj=project,
            project=project,
            before={"taxonomy": project.taxonomy_id, "version": project.taxonomy.version},
            after={"taxonomy": to_taxonomy.pk, "version": to_taxonomy.version, "mapping": change.mapping},
        )
        project.taxonomy = to_taxonomy
        project.save(update_fields=["taxonomy"])
        suggestions_to_version(project=project, mapping=change.mapping)
        # A learned model answers in the keys it was trained in: it stops serving until it is
        # trained again on judgements read in the new version (``learning.project_examples``).
        SuggestionModel.objects.filter(project=project, active=True).update(active=False)
    return change


def suggestions_to_version(*, project: Project, mapping: dict[str, list[str]], batch: int = 1000) -> int:
    """Rewrite the project's machine suggestions in the keys of the version it moved to (``mapping``:
    old key -> new keys, as a ``TaxonomyChange`` records it); returns how many changed.

    Suggestions are machine output with no version of their own. Left in the old keys, the
    workspace pre-filled labels the project no longer has, and accepting one was refused
    ("'anger' is not a label of this project's taxonomy"). A shift whose side became one label is
    renamed; one whose side was split or dropped names no single emotion and is left out."""

    changed: list[Suggestion] = []
    count = 0
    moving = {old for old, targets in mapping.items() if targets != [old]}  # renamed, split, merged, dropped
    rows = mentioning(Suggestion.objects.filter(turn__call__project=project), ["labels", "shifts"], moving).only(
        "pk", "labels", "shifts"
    )
    for suggestion in rows.iterator(chunk_size=batch):
        labels, shifts = suggestion_in_version(suggestion.labels, suggestion.shifts, mapping)
        if labels != suggestion.labels or shifts != (suggestion.shifts or []):
            suggestion.labels, suggestion.shifts = labels, shifts
            changed.append(suggestion)
        if len(changed) >= batch:
            Suggestion.objects.bulk_update(changed, ["labels", "shifts"])
            count += len(changed)
            changed = []
    if changed:
        Suggestion.objects.bulk_update(changed, ["labels", "shifts"])
        count += len(changed)
    return count


def mentioning(rows: QuerySet, fields: list[str], keys) -> QuerySet:
    """``rows`` whose JSON ``fields`` hold one of ``keys`` as a string, by their text (a superset
    of the rows that use a key as a label: the caller still reads each). None when ``keys`` is empty.
    Label keys are ASCII (``taxonomy.models.key_validator``), so every database writes them alike."""
    if not keys:
        return rows.none()
    texts = {f"{field}_text": Cast(field, TextField()) for field in fields}
    wanted = Q()
    for name in texts:
        for key in keys:
            wanted |= Q(**{f"{name}__contains": json.dumps(key)})
    return rows.annotate(**texts).filter(wanted)


def annotator_profile_save(
    *, user, languages: list[dict], locales: list[str], cultural_background: str, daily_capacity: int, active: bool
) -> AnnotatorProfile:
    profile, _ = AnnotatorProfile.objects.get_or_create(user=user)
    profile.languages = languages
    profile.locales = locales
    profile.cultural_background = cultural_background
    profile.daily_capacity = daily_capacity
    profile.active = active
    profile.full_clean()
    profile.save()
    return profile
