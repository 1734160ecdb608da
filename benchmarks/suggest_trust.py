#!/usr/bin/env python
"""Trust in emotion suggestions on a fresh suite nobody tuned for (``tests/annotation/trust_suite.py``).

    .venv/bin/python benchmarks/suggest_trust.py [--calls 12]

espeak-ng speakers (varied voice, pitch, rate, level, whisper) saying phatic, polite, numeric,
hold-message, question and negated-emotion turns, plus plain complaints, thanks and worry, in en,
es, de, fr, hi, tl and in languages the pipeline did not identify. Half A is where the rules'
text-prior constants were fitted; half B is the report. Figures: neutral turns given an emotion at
>= 0.7 and >= 0.5 (goal 0 at >= 0.7), ECE over every suggested label (the truth is the set of labels
the words support), reliability by bins, emotional turns whose right label leads at >= 0.5, and
unknown-language turns. The yardstick is the same suite's base rate: always "neutral" at its share.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=12, help="calls per language and half")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from annotation.pipeline.suggest import SEED_PHRASES, suggest_turns
    from tests.annotation.trust_suite import NEUTRAL, measured_suite, trust_figures

    print(f"| {'figure':<52} | {'value':>16} | note")
    print(f"|{'-' * 54}|{'-' * 18}|------")
    for half in ("A", "B"):
        measured = measured_suite(half, args.calls)
        figures = trust_figures(measured, lambda inputs: suggest_turns(inputs, list(SEED_PHRASES), SEED_PHRASES))
        note = "tuning half" if half == "A" else "report half"
        for figure, value in figures.rows(half):
            print(f"| {figure:<52} | {value:>16} | {note}")
        for item in figures.bins:
            if item.count:
                print(
                    f"| {f'{half}: reliability {item.low:.1f}-{item.high:.1f}':<52} | "
                    f"{f'{item.mean_confidence:.2f} vs {item.agreement:.2f}':>16} | {item.count} labels (confidence vs right)"
                )
        share = sum(t.truth == NEUTRAL for turns, _ in measured for t in turns) / figures.turns
        print(
            f"| {f'{half}: yardstick, share of neutral turns':<52} | {share:>16.2f} | always-neutral at this confidence"
        )


if __name__ == "__main__":
    main()
