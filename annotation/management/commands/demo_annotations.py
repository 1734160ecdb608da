"""Give the demo project something to review: two simulated annotators (en-GB and en-IN) tag
every turn of the demo's ready calls, so the QA pages (agreement, disagreement queue,
adjudication) and dataset snapshots show real figures right after ``make run``.

Simulated, and labelled as such: each simulated annotator starts from the turn's machine
suggestion and departs from it at its own, seeded rate (another label, an added second label,
intensity and valence/arousal moved by one step). The human demo annotator's work is never
touched. Idempotent: turns already tagged are skipped. Every write goes through the same
services as the workspace (validation, versions, audit log, stale-marking of reports).
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from annotation.models import Assignment, Call, Project, ProjectMembership, Suggestion
from annotation.services import annotator_profile_save, project_add_member
from annotation.turn_annotations import assignment_submit, turn_annotation_save
from annotera import roles

from .load_demo import DEMO_PASSWORD

SIMULATED = (
    # user name, locale, share of turns where they depart from the suggestion, blind
    ("annotator_gb", "en-GB", 0.25, False),
    ("annotator_in", "en-IN", 0.4, True),
)


class Command(BaseCommand):
    help = "Add two simulated annotators' tags to the demo project's ready calls (for trying the QA pages)."

    def add_arguments(self, parser):
        parser.add_argument("--project", default="demo", help="project slug (default: demo)")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, project: str, seed: int, **options):
        target = Project.objects.filter(slug=project).select_related("taxonomy").first()
        if target is None:
            raise CommandError(f"No project '{project}'. Run `manage.py load_demo` first.")
        calls = list(target.calls.filter(status=Call.Status.READY).order_by("pk"))
        if not calls:
            raise CommandError(
                f"Project '{project}' has no ready calls yet: wait for the machine pass (see the project page)."
            )
        labels = list(target.taxonomy.labels.order_by("order").values_list("key", flat=True))
        for username, locale, departure, blind in SIMULATED:
            user = self._annotator(username, locale, target)
            rng = random.Random(f"{seed}:{username}")
            tagged = 0
            for call in calls:
                assignment, _ = Assignment.objects.get_or_create(
                    call=call, annotator=user, defaults={"blind": blind, "explanation": "simulated demo annotator"}
                )
                if assignment.status in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED):
                    continue
                done = set(assignment.turn_annotations.values_list("turn_id", flat=True))
                suggestions = {s.turn_id: s for s in Suggestion.objects.filter(turn__call=call)}
                for turn in call.turns.order_by("order"):
                    if turn.pk in done:
                        continue
                    data = simulated_tags(suggestions.get(turn.pk), labels, departure, rng)
                    turn_annotation_save(assignment=assignment, turn=turn, data=data, base_version=0)
                    tagged += 1
                assignment_submit(assignment=assignment)
            self.stdout.write(
                f"{username} ({locale}, {'blind' if blind else 'with suggestions'}): {tagged} turns tagged"
            )
        self.stdout.write(
            self.style.SUCCESS("Simulated annotations added; the agreement report recomputes in the background.")
        )

    def _annotator(self, username: str, locale: str, project: Project):
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=roles.ANNOTATOR))
        annotator_profile_save(
            user=user,
            languages=[{"code": "en", "proficiency": "native"}],
            locales=[locale],
            cultural_background=f"simulated demo annotator ({locale})",
            daily_capacity=0,  # takes no real work from the matching engine
            active=False,
        )
        project_add_member(project=project, user=user, role=ProjectMembership.Role.ANNOTATOR)
        return user


def simulated_tags(suggestion: Suggestion | None, labels: list[str], departure: float, rng: random.Random) -> dict:
    """One simulated annotator's tags for a turn: the suggestion, departed from at ``departure``."""
    suggested = [item for item in (suggestion.labels if suggestion else []) if item.get("label") in labels]
    # Like a person, take what the machine is fairly sure of (at most two labels), else its top one.
    confident = [item for item in suggested if float(item.get("confidence") or 0) >= 0.5][:2] or suggested[:1]
    chosen = [{"label": item["label"], "intensity": int(item.get("intensity") or 3)} for item in confident]
    if not chosen:
        chosen = [{"label": "neutral" if "neutral" in labels else labels[0], "intensity": 2}]
    if rng.random() < departure:
        chosen[0] = {"label": rng.choice(labels), "intensity": chosen[0]["intensity"]}
    if rng.random() < departure / 2:
        extra = rng.choice(labels)
        if all(item["label"] != extra for item in chosen):
            chosen.append({"label": extra, "intensity": rng.randint(1, 3)})
    for item in chosen:
        if rng.random() < departure:
            item["intensity"] = min(5, max(1, item["intensity"] + rng.choice((-1, 1))))
    unique = {item["label"]: item for item in chosen}
    valence = suggestion.valence if suggestion and suggestion.valence is not None else 0
    arousal = suggestion.arousal if suggestion and suggestion.arousal is not None else 3
    return {
        "labels": list(unique.values()),
        "valence": max(-3, min(3, round(valence) + (rng.choice((-1, 1)) if rng.random() < departure else 0))),
        "arousal": max(1, min(5, round(arousal) + (rng.choice((-1, 1)) if rng.random() < departure else 0))),
        "confidence": 0.75,
        "note": "simulated",
    }
