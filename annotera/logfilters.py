"""Logging filters."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A request refused with a 4xx (403 for a page someone may not open, 404) is logged as one
    line: the traceback Django attaches is of the refusal itself, not of a fault, and drowned the
    log that operators read for real errors. 5xx keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info, record.exc_text = None, None
        return True
