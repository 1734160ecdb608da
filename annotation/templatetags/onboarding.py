from django import template

from ..onboarding import project_onboarding_steps
from ..project_forms import BulkUploadForm

register = template.Library()


@register.inclusion_tag("annotation/_onboarding_checklist.html")
def onboarding_checklist(project):
    steps = project_onboarding_steps(project)
    return {"project": project, "steps": steps, "all_done": all(s.done for s in steps)}


@register.inclusion_tag("annotation/_bulk_upload.html", takes_context=True)
def bulk_upload_card(context, project):
    form = BulkUploadForm(initial={"channel_layout": project.channel_layout})
    return {"project": project, "form": form, "csrf_token": context.get("csrf_token")}
