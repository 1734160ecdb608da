import json
from pathlib import Path

from django.core.management.base import CommandError

from annotation.cli import ProjectCommand
from qa.exports import FORMATS, ExportError
from qa.exports.build import export_write
from qa.exports.splits import parse_ratios
from qa.forms import FILTER_FIELDS, ExportOptionsForm


class Command(ProjectCommand):
    help = "Export a project's turns and annotations as a dataset (one or more formats) into a new folder."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--format",
            required=True,
            dest="fmt",
            help=f"One or more of {', '.join(FORMATS)} (comma-separated), or all.",
        )
        parser.add_argument("--out", required=True, type=Path, help="A folder that does not exist yet or is empty.")
        parser.add_argument("--calls", default="", help="Only these call ids, comma-separated.")
        parser.add_argument("--languages", default="", help="Only turns in these languages, e.g. en,hi.")
        parser.add_argument(
            "--min-alpha", default=None, help="Only calls with label alpha at least this (or adjudicated turns)."
        )
        parser.add_argument("--adjudicated-only", action="store_true")
        parser.add_argument("--gold-only", action="store_true")
        parser.add_argument(
            "--submitted-only", action="store_true", help="Leave out annotations of calls not yet submitted (drafts)."
        )
        parser.add_argument("--date-from", default=None)
        parser.add_argument("--date-to", default=None)
        parser.add_argument("--split", default="", help="train,dev,test shares, e.g. 0.8,0.1,0.1 (default: no split).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--bootstrap", type=int, default=200, help="Bootstrap draws for the data card's intervals.")

    def handle_project(self, target, *, fmt: str, out: Path, **options):
        out = Path(out)
        formats = list(FORMATS) if fmt.strip().lower() == "all" else fmt.split(",")
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"--out {out} exists and is not an empty folder.")
        # The snapshot page's checks: every refused option named at once, as the option it is.
        options_form = ExportOptionsForm.for_values(
            project=target, filters={key: options[key] for key in FILTER_FIELDS}, split=options["split"]
        )
        if not options_form.is_valid():
            raise CommandError(
                "; ".join(
                    f"--{field.replace('_', '-')}: {message}"
                    for field, messages in options_form.errors.items()
                    for message in messages
                )
            )
        try:
            ratios = parse_ratios(options["split"])
            out.mkdir(parents=True, exist_ok=True)
            manifest = export_write(
                project=target,
                formats=formats,
                out_dir=out,
                filters=options_form.cleaned_data["filters"],
                split_ratios=ratios,
                split_seed=options["seed"],
                agreement_bootstrap=options["bootstrap"],
            )
        except (ExportError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        summary = {k: manifest[k] for k in ("project", "formats", "counts", "file_count", "bytes")}
        self.stdout.write(json.dumps(summary))
