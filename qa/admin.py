from django.contrib import admin

from .models import Adjudication, AgreementReport, ExportSnapshot

admin.site.register(AgreementReport)
admin.site.register(Adjudication)


@admin.register(ExportSnapshot)
class ExportSnapshotAdmin(admin.ModelAdmin):
    """Read-only: a snapshot is made by its build task and never edited afterwards."""

    list_display = ("pk", "project", "status", "progress", "created_at", "built_at")
    list_filter = ("status",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
