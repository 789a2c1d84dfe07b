"""Speech: text → audio with timed phonemes (TTS), and audio + transcript → timings (alignment)."""

from .align import AlignOptions, align, recognise_and_align
from .tts import SAMPLE_RATE, TTSOptions, resolve_voice, synthesize
from .types import Speech, TimedPhoneme, TimedWord

__all__ = ["AlignOptions", "SAMPLE_RATE", "Speech", "TTSOptions", "TimedPhoneme", "TimedWord",
           "align", "recognise_and_align", "resolve_voice", "synthesize"]
