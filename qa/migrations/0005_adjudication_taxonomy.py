"""Adjudications record the taxonomy version their labels belong to.

Existing adjudications get the version their project used when each was made: the
``from_taxonomy`` of the project's first recorded ``TaxonomyChange`` made after it, else the
project's current version (no change since). A reviewer's labels were checked against the
project's version of the moment, so this is the version they were written in; the recorded
changes are the only history there is, so a project moved without one (an edit outside the
service) gets its current version, which is what every reader assumed before this field
existed. Reversing drops the field.
"""

import bisect
from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models


def fill_taxonomy(apps, schema_editor):
    Adjudication = apps.get_model("qa", "Adjudication")
    Project = apps.get_model("annotation", "Project")
    TaxonomyChange = apps.get_model("annotation", "TaxonomyChange")
    changes = defaultdict(list)  # project id -> [(created_at, from_taxonomy_id)], oldest first
    for project_id, created_at, from_taxonomy_id in TaxonomyChange.objects.order_by("created_at", "pk").values_list(
        "project_id", "created_at", "from_taxonomy_id"
    ):
        changes[project_id].append((created_at, from_taxonomy_id))
    times = {project_id: [at for at, _ in history] for project_id, history in changes.items()}
    current = dict(Project.objects.values_list("pk", "taxonomy_id"))
    chosen = defaultdict(list)  # taxonomy id -> adjudication ids
    rows = Adjudication.objects.filter(taxonomy__isnull=True).values_list("pk", "created_at", "turn__call__project_id")
    for pk, created_at, project_id in rows.iterator():
        history = changes.get(project_id, [])
        later = bisect.bisect_right(times.get(project_id, []), created_at)
        chosen[history[later][1] if later < len(history) else current[project_id]].append(pk)
    for taxonomy_id, ids in chosen.items():
        for first in range(0, len(ids), 10_000):  # bounded IN lists
            Adjudication.objects.filter(pk__in=ids[first : first + 10_000]).update(taxonomy_id=taxonomy_id)


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0004_gold_call_moved_to_annotation"),
        ("taxonomy", "0002_evidence_map"),
        ("annotation", "0002_taxonomy_change"),
    ]

    operations = [
        migrations.AddField(
            model_name="adjudication",
            name="taxonomy",
            field=models.ForeignKey(
                blank=True,
                help_text="The taxonomy version the labels are in (empty: recorded before versions were stored).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="taxonomy.taxonomy",
            ),
        ),
        migrations.RunPython(fill_taxonomy, migrations.RunPython.noop),
    ]
