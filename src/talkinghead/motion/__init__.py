"""Motion: timed phonemes → a per-frame canonical mouth/jaw shape (Text2Video's key poses).

``plan_motion`` places each phoneme's key pose at its centre frame (skipping keys closer than
the minimum key distance), interpolates between keys, mixes in the phoneme's real pose
sequences, holds the rest mouth through pauses, seals the lips on bilabials and smooths the jaw
(not the lips) over time.
"""

from .plan import KeyPose, MotionOptions, MotionPlan, plan_motion

__all__ = ["KeyPose", "MotionOptions", "MotionPlan", "plan_motion"]
