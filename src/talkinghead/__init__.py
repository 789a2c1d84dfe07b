"""talkinghead: text (or recorded speech) in, a video of a real person saying it out.

Pipeline stages, in data-flow order (one subpackage each):
``text`` → ``phonemes`` → ``speech`` → ``face`` → ``avatar`` → ``motion`` → ``render`` → ``video``;
``evaluate`` measures the result.

>>> import talkinghead as th
>>> speech = th.synthesize("Hello, world!")          # doctest: +SKIP
>>> speech.phonemes[1]                                  # doctest: +SKIP
TimedPhoneme(phoneme='h', start=0.058, end=0.104, source='h', word=0)
>>> th.say(None, "Hello, world!", "hello.mp4")          # doctest: +SKIP (the built-in portrait talks)
>>> th.enroll(th.clips_from(["me.mp4"], text="…"), "me.avatar")  # doctest: +SKIP
>>> th.say("me.avatar", "Hello, world!", "me.mp4")      # doctest: +SKIP
"""

from .errors import AlignmentError, InputError
from .speech import AlignOptions, Speech, TimedPhoneme, TimedWord, TTSOptions, align, synthesize
from .text import Utterance, analyze

__version__ = "0.1.0"

_LAZY = {"Avatar": "avatar", "clips_from": "avatar", "enroll": "avatar", "dub": "render", "say": "render",
         "RenderOptions": "render", "STYLES": "motion.style", "SpeakingStyle": "motion.style"}


def __getattr__(name: str):  # noqa: ANN202 - video stages load OpenCV/mediapipe: only on first use
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'talkinghead' has no attribute '{name}'")


__all__ = ["AlignOptions", "AlignmentError", "Avatar", "InputError", "RenderOptions", "STYLES", "SpeakingStyle",
           "Speech", "TTSOptions",
           "TimedPhoneme", "TimedWord", "Utterance", "align", "analyze", "clips_from", "dub", "enroll",
           "say", "synthesize", "__version__"]
