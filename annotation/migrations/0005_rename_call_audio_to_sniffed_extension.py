"""Calls uploaded before stored names were canonical kept the client's extension (a WAV uploaded
as ``a.html`` was stored as ``<uuid>.html``). Rename each such file to the extension of the
container sniffed from its contents (``.bin`` when it is none of them). The audio view serves by
contents, not name, either way; this keeps the media folder free of ``.html``/``.js`` files that a
misconfigured web server in front of it could serve as such."""

from __future__ import annotations

import posixpath

from django.db import migrations

CANONICAL = ("wav", "flac", "mp3", "m4a", "ogg")


def canonical_name(name: str, kind: str | None) -> str | None:
    """The name ``name`` should have, or None when it already has it."""
    folder, base = posixpath.split(name)
    stem, dot, suffix = base.rpartition(".")
    wanted = kind or "bin"
    if dot and suffix == wanted:
        return None
    return posixpath.join(folder, f"{stem if dot else base}.{wanted}")


def rename_call_audio(apps, schema_editor) -> None:
    from annotation.pipeline.audio import sniff_format

    Call = apps.get_model("annotation", "Call")
    for call in Call.objects.exclude(audio="").only("pk", "audio").iterator():
        storage = call.audio.storage
        if not storage.exists(call.audio.name):
            continue  # nothing on disk to rename (a fixture row, or a file deleted by hand)
        with storage.open(call.audio.name, "rb") as fh:
            kind = sniff_format(fh.read(16))
        wanted = canonical_name(call.audio.name, kind)
        if wanted is None:
            continue
        with storage.open(call.audio.name, "rb") as fh:
            saved = storage.save(wanted, fh)
        old = call.audio.name
        Call.objects.filter(pk=call.pk).update(audio=saved)
        storage.delete(old)


class Migration(migrations.Migration):
    dependencies = [
        ("annotation", "0004_turn_revision"),
    ]

    operations = [
        migrations.RunPython(rename_call_audio, migrations.RunPython.noop, elidable=True),
    ]
