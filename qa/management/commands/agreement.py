import json

from annotation.cli import ProjectCommand
from qa.agreement import FIGURES, ReportFilters, project_report


class Command(ProjectCommand):
    help = "Print a project's inter-annotator agreement report (Krippendorff's alpha with 95% intervals)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--language", default="")
        parser.add_argument("--locale", default="")
        parser.add_argument("--culture", default="", help="an annotator locale, e.g. en-IN")
        parser.add_argument("--speaker-role", default="", choices=["", "agent", "customer", "unknown"])
        parser.add_argument("--taxonomy-version", type=int, default=None)
        parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals")

    def handle_project(self, target, *, json: bool, bootstrap: int, **options):
        filters = ReportFilters.from_mapping(options)
        report = project_report(target, filters, bootstrap=bootstrap)
        if json:
            self.stdout.write(_dumps(report))
            return
        self.stdout.write(f"{target.name}: {report['turns']} annotated turns, {report['annotators']} annotators")
        for key, title in FIGURES:
            self.stdout.write(f"  {title:<28} {_fmt(report[key])}")
        shifts = report["shifts"]
        self.stdout.write(
            f"  {'shift positions (unitizing α)':<28} {shifts['unitizing_alpha']} on {shifts['units']} turns"
            f" (matched one to one: {shifts['matched_share']})"
        )
        pooled = ", ".join(f"v{v['version']}: {v['rows']}" for v in report["versions"]) or "none"
        self.stdout.write(f"  read in {report['taxonomy']}; judgements per version pooled: {pooled}")
        for label, figure in report["label_presence"]["per_label"].items():
            self.stdout.write(f"    {label:<18} {_fmt(figure)}")


def _dumps(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True)


def _fmt(figure: dict) -> str:
    if figure["alpha"] is None:
        return f"undefined ({figure['units']} units, {figure['excluded']} excluded)"
    return (
        f"{figure['alpha']:.3f} [{figure['low']:.3f}, {figure['high']:.3f}] "
        f"({figure['units']} units, {figure['excluded']} excluded)"
    )
