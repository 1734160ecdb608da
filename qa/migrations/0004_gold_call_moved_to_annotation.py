# Gold-ness belongs to the call: the queue (annotation) reads it, so the rows move to
# annotation.GoldCall (created by annotation 0005) before qa's table is dropped.

from django.db import migrations


def _copy(source, target):
    for gold in source.objects.all():
        row = target.objects.create(call_id=gold.call_id, marked_by_id=gold.marked_by_id)
        target.objects.filter(pk=row.pk).update(created_at=gold.created_at)  # auto_now_add set it to now


def copy_to_annotation(apps, schema_editor):
    _copy(apps.get_model("qa", "GoldCall"), apps.get_model("annotation", "GoldCall"))


def copy_back_to_qa(apps, schema_editor):
    _copy(apps.get_model("annotation", "GoldCall"), apps.get_model("qa", "GoldCall"))


class Migration(migrations.Migration):

    dependencies = [
        ('qa', '0003_merge_agreement_cache_and_exports'),
        ('annotation', '0008_gold_call'),
    ]

    operations = [
        migrations.RunPython(copy_to_annotation, copy_back_to_qa),
        migrations.DeleteModel(
            name='GoldCall',
        ),
    ]
