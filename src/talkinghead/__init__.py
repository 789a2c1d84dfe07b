"""talkinghead: text (or recorded speech) in, a video of a real person saying it out.

Pipeline stages, in data-flow order (one subpackage each):
``text`` → ``phonemes`` → ``speech`` → ``face`` → ``avatar`` → ``motion`` → ``render`` → ``video``;
``evaluate`` measures the result. Built so far: text, phonemes, speech, audio I/O.

>>> import talkinghead as th
>>> speech = th.synthesize("Hello, world!")          # doctest: +SKIP
>>> speech.phonemes[1]                                  # doctest: +SKIP
TimedPhoneme(phoneme='h', start=0.058, end=0.104, source='h', word=0)
"""

from .errors import AlignmentError, InputError
from .speech import (AlignOptions, Speech, TimedPhoneme, TimedWord, TTSOptions, align,
                     synthesize)
from .text import Utterance, analyze

__version__ = "0.1.0"

__all__ = ["AlignOptions", "AlignmentError", "InputError", "Speech", "TTSOptions", "TimedPhoneme",
           "TimedWord", "Utterance", "align", "analyze", "synthesize", "__version__"]
