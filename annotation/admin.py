from django.contrib import admin

from .models import (
    AnnotatorProfile,
    Assignment,
    Call,
    GoldCall,
    ProcessingJob,
    Project,
    ProjectMembership,
    Speaker,
    Suggestion,
    Turn,
    TurnAnnotation,
)

admin.site.register(GoldCall)


class MembershipInline(admin.TabularInline):
    model = ProjectMembership
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "taxonomy", "overlap_k", "blind_share"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


class JobInline(admin.TabularInline):
    model = ProcessingJob
    extra = 0
    fields = ["stage", "status", "progress", "attempts", "seconds", "error"]
    readonly_fields = fields


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["original_name", "project", "status", "duration", "channels", "language", "created_at"]
    list_filter = ["status", "failure", "project", "language"]
    search_fields = ["original_name", "sha256"]
    readonly_fields = ["sha256", "size_bytes", "duration", "sample_rate", "channels"]
    inlines = [JobInline]


@admin.register(Turn)
class TurnAdmin(admin.ModelAdmin):
    list_display = ["call", "order", "speaker", "start", "end", "language"]
    list_filter = ["call__project"]


@admin.register(ProcessingJob)
class ProcessingJobAdmin(admin.ModelAdmin):
    list_display = ["call", "stage", "status", "progress", "attempts", "seconds", "heartbeat_at"]
    list_filter = ["status", "stage"]


admin.site.register(Speaker)
admin.site.register(Suggestion)
admin.site.register(AnnotatorProfile)
admin.site.register(Assignment)
admin.site.register(TurnAnnotation)
