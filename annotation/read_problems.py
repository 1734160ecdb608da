"""What the turn-file readers share (plain Python, no Django): an error that lists every problem
found, each naming where it is, and the check that a time is a finite number."""

from __future__ import annotations

import math
import re

# What a time may look like in a file: float() also reads "1_5" (as 15), which no file means.
DIGITS = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")
NONFINITE = re.compile(r"\s*[-+]?(?:nan|inf|infinity)\s*", re.IGNORECASE)


class FileProblems(ValueError):
    """A file refused; ``errors`` says what is wrong and where, one problem a line."""

    def __init__(self, errors: list[str]) -> None:
        # A message quotes the file, and JSON may hold half a UTF-16 pair ("\ud800"), which no
        # response can encode: such a character is shown escaped, so the refusal reaches the user.
        self.errors = [e.encode("utf-8", "backslashreplace").decode("utf-8") for e in errors]
        super().__init__("; ".join(self.errors))


def finite_number(value, what: str, where: str, errors: list[str]) -> float | None:
    """``value`` as a float, or None with a message in ``errors`` ("line 3: start 'x' is not a number")."""
    if isinstance(value, str) and not (DIGITS.fullmatch(value) or NONFINITE.fullmatch(value)):
        errors.append(f"{where}: {what} {shown(value)} is not a number")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append(f"{where}: {what} {shown(value)} is not a number")
        return None
    except OverflowError:  # an integer past any float (a JSON number of 400 digits)
        errors.append(f"{where}: {what} {shown(value)} is too large to be a time in seconds")
        return None
    if not math.isfinite(number) and isinstance(value, str) and DIGITS.fullmatch(value):  # "1e400"
        errors.append(f"{where}: {what} {shown(value)} is too large to be a time in seconds")
        return None
    if not math.isfinite(number):
        errors.append(f"{where}: {what} {shown(value)} is not a finite number")
        return None
    return number


def shown(value, limit: int = 24) -> str:
    """A value as a message quotes it, cut short: a 5,000-digit number is not a message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 4]}… ({len(text)} characters)"
