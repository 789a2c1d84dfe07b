"""ctypes binding to the libespeak-ng 1.52 that ships in the espeakng-loader wheel.

One process-wide engine (espeak-ng keeps global state), guarded by a lock. Used for
grapheme-to-phoneme conversion (text, alignment G2P fallback) and for TTS of Chinese and
other espeak languages (speech).
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PHONEMES_IPA = 0x02
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_END = 5
_EVENT_PHONEME = 7
_PARAM_RATE = 1
DEFAULT_RATE_WPM = 175  # espeak-ng's default speaking rate, words/min

_lock = threading.RLock()


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character position in the input text
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),  # samples since the start of this synthesis
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class PhonemeEvent:
    """One phoneme as espeak-ng reported it during synthesis.

    ``name`` is espeak's IPA for the phoneme (may carry stress marks, '' marks a pause or a
    word end); ``sample`` is its start in samples at :attr:`Engine.sample_rate`;
    ``char`` the 1-based character position of the word it belongs to.
    """

    name: str
    sample: int
    char: int


class Engine:
    """The espeak-ng library, initialised once."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.data_path = espeakng_loader.get_data_path()
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int
        ]
        self.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        self.sample_rate: int = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, self.data_path.encode(),
            _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA,
        )
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak-ng failed to initialise with data at {self.data_path}")
        self._audio: list[np.ndarray] = []
        self._events: list[PhonemeEvent] = []
        self._callback = _SynthCallback(self._on_synth)  # keep a reference: C holds a pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    def _on_synth(self, wav, n_samples, events) -> int:  # noqa: ANN001 - ctypes callback
        if n_samples > 0:
            self._audio.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EVENT_PHONEME:
                name = ev.id.string.decode("utf-8", errors="replace").rstrip("\x00")
                self._events.append(PhonemeEvent(name, int(ev.sample), int(ev.text_position)))
            i += 1
        return 0

    def voices(self) -> dict[str, str]:
        """Every name espeak-ng answers to → the voice to load.

        Keys are voice file names ('cmn', 'en-GB-x-rp') and the language codes each voice
        declares ('en-gb' → 'en'); values are voice file names.
        """
        with _lock:
            arr = self.lib.espeak_ListVoices(None)
            names: dict[str, str] = {}
            i = 0
            while arr[i]:
                voice = arr[i].contents
                ident = voice.identifier.decode().split("/")[-1]
                names.setdefault(ident, ident)
                # languages: (priority byte, name, NUL) repeated, ended by a zero priority byte
                raw = ctypes.string_at(voice.languages, 256)
                pos = 0
                while pos < len(raw) and raw[pos] != 0:
                    end = raw.index(b"\0", pos + 1)
                    names.setdefault(raw[pos + 1:end].decode(errors="replace"), ident)
                    pos = end + 1
                i += 1
        return names

    def set_voice(self, voice: str) -> None:
        """Select a voice by name; ValueError when espeak-ng does not know it."""
        with _lock:
            if voice == self._voice:
                return
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"espeak-ng has no voice {voice!r}")
            self._voice = voice

    def text_to_ipa(self, text: str, voice: str) -> list[list[str]]:
        """G2P: words of ``text`` as lists of espeak IPA phoneme strings.

        Returns one list per word espeak found, e.g. ``[['h', 'ə', 'l', 'ˈoʊ'], ['w', 'ˈɜː', 'l', 'd']]``.
        Stress marks and tone digits (Chinese) stay attached to their phoneme.
        """
        with _lock:
            self.set_voice(voice)
            buf = ctypes.c_char_p(text.encode("utf-8"))
            words: list[list[str]] = []
            # bits 8-23 give the separator put between phonemes; words come out separated by two.
            mode = _PHONEMES_IPA | (ord(" ") << 8)
            while buf.value:
                out = self.lib.espeak_TextToPhonemes(ctypes.byref(buf), _CHARS_UTF8, mode)
                if out is None:
                    break
                for word in out.decode("utf-8").split("  "):
                    phones = word.split()
                    if phones:
                        words.append(phones)
        return words

    def synthesize(self, text: str, voice: str, rate_wpm: int = DEFAULT_RATE_WPM
                   ) -> tuple[np.ndarray, list[PhonemeEvent]]:
        """Speak ``text``: (audio (n,) float32 in [-1, 1] at :attr:`sample_rate`, phoneme events)."""
        with _lock:
            self.set_voice(voice)
            self.lib.espeak_SetParameter(_PARAM_RATE, int(rate_wpm), 0)
            self._audio, self._events = [], []
            data = text.encode("utf-8")
            rc = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                       None, None)
            self.lib.espeak_Synchronize()
            if rc != 0:
                raise RuntimeError(f"espeak-ng synthesis failed (code {rc})")
            pcm = np.concatenate(self._audio) if self._audio else np.zeros(0, np.int16)
            audio = pcm.astype(np.float32) / 32768.0
            events, self._audio, self._events = self._events, [], []
        return audio, events


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The process-wide espeak-ng engine."""
    with _lock:
        return Engine()


def data_path() -> Path:
    """Directory of the bundled espeak-ng data."""
    return Path(engine().data_path)
