from django.contrib import admin

from .models import Adjudication, AgreementReport, ExportSnapshot, GoldCall

admin.site.register(AgreementReport)
admin.site.register(GoldCall)
admin.site.register(Adjudication)
admin.site.register(ExportSnapshot)
