"""Avatar: enrollment of a person's footage into a phoneme-pose dictionary and texture bank.

``enroll`` (with ``clips_from`` to pair videos and transcripts) writes a versioned
``NAME.avatar/`` directory; ``Avatar.load`` reads it back; ``coverage_table`` and
``contact_sheet`` show what it learnt.
"""

from .bank import CropGeometry
from .dictionary import Occurrence, PhonemePose, PhonemePoseDictionary, build_dictionary
from .enroll import ClipInput, EnrollOptions, EnrollReport, enroll, enroll_target
from .inputs import clips_from
from .inspect import contact_sheet, coverage_table
from .meta import FORMAT_VERSION, AvatarMeta
from .model import Avatar, AvatarTracks, pack

__all__ = ["Avatar", "AvatarMeta", "AvatarTracks", "ClipInput", "CropGeometry", "EnrollOptions", "EnrollReport",
           "FORMAT_VERSION", "Occurrence", "PhonemePose", "PhonemePoseDictionary", "build_dictionary", "clips_from",
           "contact_sheet", "coverage_table", "enroll", "enroll_target", "pack"]
