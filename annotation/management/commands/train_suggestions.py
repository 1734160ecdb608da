from annotation.calibration import active_calibration
from annotation.cli import ProjectCommand
from annotation.learning import suggestion_model_train
from annotation.models import SuggestionCalibration


class Command(ProjectCommand):
    help = "Train a per-project suggestion model from the annotations; it is used only if it beats the rules."

    def handle_project(self, target, **options):
        record = suggestion_model_train(project=target)
        calibration = SuggestionCalibration.objects.filter(project=target).order_by("-version").first()
        if calibration is None:
            self.stdout.write(
                "Not enough suggested labels on annotated turns (on at least two calls) to calibrate yet."
            )
        else:
            in_use = active_calibration(target)
            self.stdout.write(
                f"rules calibration v{calibration.version}: held-out calibration error {calibration.ece_before} -> "
                f"{calibration.ece_after} on {calibration.held_out} suggested labels; "
                + (
                    "active"
                    if calibration.active
                    else f"kept inactive (in use: {f'v{in_use.version}' if in_use else 'none'})"
                )
            )
        if record is None:
            self.stdout.write("Not enough annotated turns (on at least two calls) to train yet.")
            return
        verdict = "active: it beats the rules" if record.active else "kept inactive: the rules do as well or better"
        self.stdout.write(
            f"model v{record.version}: held-out alpha {record.learned_alpha} vs rules {record.rules_alpha} "
            f"on {record.held_out} turns (trained on {record.trained_on}); {verdict}"
        )
