"""Projects, calls and what the machine pass and the annotators make of them.

One module per part: ``projects`` (settings, members, taxonomy changes), ``calls`` (audio,
speakers, turns, suggestions, gold), ``assignments`` (annotators and their annotations),
``machine`` (pipeline jobs, learned suggestion models and calibrations), ``corrections``
(turn revisions and proposals). Import the models from here.
"""

from .assignments import (
    CALL_SKIP_REASON_MAX,
    NOTE_MAX,
    TURN_SKIP_REASON_MAX,
    AnnotatorProfile,
    Assignment,
    AssignmentQuerySet,
    TurnAnnotation,
    TurnAnnotationQuerySet,
)
from .calls import AUDIO_EXTENSIONS, Call, GoldCall, Speaker, Suggestion, Turn, call_audio_path
from .corrections import CorrectionProposal, TurnRevision
from .machine import ProcessingJob, SuggestionCalibration, SuggestionModel
from .projects import Project, ProjectMembership, TaxonomyChange

__all__ = [
    "AUDIO_EXTENSIONS",
    "CALL_SKIP_REASON_MAX",
    "NOTE_MAX",
    "TURN_SKIP_REASON_MAX",
    "AnnotatorProfile",
    "Assignment",
    "AssignmentQuerySet",
    "Call",
    "CorrectionProposal",
    "GoldCall",
    "ProcessingJob",
    "Project",
    "ProjectMembership",
    "Speaker",
    "Suggestion",
    "SuggestionCalibration",
    "SuggestionModel",
    "TaxonomyChange",
    "Turn",
    "TurnAnnotation",
    "TurnAnnotationQuerySet",
    "TurnRevision",
    "call_audio_path",
]
