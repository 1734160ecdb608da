from django.contrib import admin

from .models import Dimension, Label, Taxonomy


class LabelInline(admin.TabularInline):
    model = Label
    extra = 0
    fields = ["key", "name", "parent", "colour", "hotkey", "order"]


class DimensionInline(admin.TabularInline):
    model = Dimension
    extra = 0


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "version", "status", "published_at"]
    list_filter = ["status"]
    inlines = [LabelInline, DimensionInline]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "taxonomy", "hotkey", "colour"]
    list_filter = ["taxonomy"]
