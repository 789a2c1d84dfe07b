"""Motion: timed phonemes → a per-frame canonical mouth/jaw shape (Text2Video's key poses).

``plan_motion`` places each phoneme's key pose at its centre frame (skipping keys closer than
the minimum key distance), interpolates between keys, mixes in the phoneme's real pose
sequences, holds the rest mouth through pauses, seals the lips on bilabials and smooths the jaw
(not the lips) over time. It drives any face, from a dictionary or generic visemes.

``plan_learned`` is the default for an enrolled avatar: a mouth model fitted on the person's
own footage (phoneme context ± 360 ms, and for recorded speech its spectrum) predicts every
frame's shape, which carries their coarticulation and emphasis; the same rules close the lips in
pauses and seal bilabials.

``plan_universal`` needs no phonemes: the universal model shipped with the package reads any
recording's sound (any voice, any language) and draws the mouth in the person's own mouth
space (:class:`MouthSpace`, fitted on their tracked mouths).
"""

from .learned import MouthModel, TrainingClip, fit_mouth_model
from .plan import KeyPose, MotionOptions, MotionPlan, MouthMethod, plan_learned, plan_motion, plan_universal
from .universal import MouthSpace, UniversalModel, universal_model

__all__ = [
           "MouthMethod",
           "KeyPose",
           "MotionOptions",
           "MotionPlan",
           "MouthModel",
           "MouthSpace",
           "TrainingClip",
           "UniversalModel",
           "fit_mouth_model",
           "plan_learned",
           "plan_motion",
           "plan_universal",
           "universal_model",
]
