"""What the turn-file readers share (plain Python, no Django): an error that lists every problem
found, each naming where it is, and the check that a time is a finite number."""

from __future__ import annotations

import math


class FileProblems(ValueError):
    """A file refused; ``errors`` says what is wrong and where, one problem a line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def finite_number(value, what: str, where: str, errors: list[str]) -> float | None:
    """``value`` as a float, or None with a message in ``errors`` ("line 3: start 'x' is not a number")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append(f"{where}: {what} {value!r} is not a number")
        return None
    if not math.isfinite(number):
        errors.append(f"{where}: {what} {value!r} is not a finite number")
        return None
    return number
