"""Signals annotation sends so that the apps above it (qa) can keep their own rows in step with
a correction of the turns, without annotation importing them (taxonomy <- annotation <- qa).

Each is sent inside the correction's transaction, after the annotations were carried over and
before anything is deleted; a receiver may raise ``ValidationError`` to refuse the correction
(the transaction then saves nothing and the message reaches the person who made it).
"""

from __future__ import annotations

from django.dispatch import Signal

# Two turns become one: ``kept`` (its span already the merged one) takes over ``removed``, which
# is deleted next. Sent by a merge, and by undoing a split. Keyword arguments: kept, removed, user.
turns_merged = Signal()

# A turn becomes two at ``at`` seconds: ``first`` keeps the start, ``second`` (saved) is new.
# Sent by a split, and by undoing a merge. Keyword arguments: first, second, at, user, and
# restored_turn_id: when a merge is undone, the id the turn had that the merge removed (``second``
# recreates it), so rows the merge withdrew from it can be given back; None for a split.
turn_split = Signal()

# A turn's boundaries moved (``turn``, saved with its new start and end). Sent by an adjust, and by
# undoing one. Keyword arguments: turn, user.
turn_adjusted = Signal()
