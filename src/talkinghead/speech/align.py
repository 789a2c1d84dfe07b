"""Forced alignment of recorded English speech to its transcript (pocketsphinx en-us).

Two passes: a whole-file pass finds every word; if the audio is longer than
``AlignOptions.chunk_seconds``, it is then cut at the silences that pass found and each chunk is
aligned again on its own, which keeps long recordings as accurate as short clips. Phones come
from pocketsphinx's phone-level alignment and are mapped into the phoneme inventory.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .._espeak import engine
from ..errors import AlignmentError, InputError
from ..phonemes import SILENCE, from_arpabet, from_espeak, to_arpabet
from ..progress import ProgressHook, no_progress
from ..text import analyze
from ..video.audio import load_audio, resample
from .timeline import Span, build_timeline
from .types import Speech, TimedWord

log = logging.getLogger(__name__)

ASR_RATE = 16000  # Hz, the en-us acoustic model's rate
FRAME_S = 0.01  # s, one pocketsphinx frame
MIN_PHONE_FRAMES = 3  # a 3-state HMM cannot be shorter; many phones at this length = forced fit
# A word's first phone after a silence is cut to at most this long (frames): the silent closure of
# a stop ('p' in "place") otherwise swallows the whole pause before it. 150 ms measured best on
# GRID's word boundaries (benchmarks/RESULTS.md, "Design decisions").
MAX_ONSET_FRAMES = 15
_MIN_AUDIO_S = 0.2  # s


@dataclass(frozen=True)
class AlignOptions:
    """Forced-alignment settings.

    Attributes:
        chunk_seconds: audio longer than this (s) is re-aligned in chunks cut at pauses.
        max_squeezed: largest plausible share of phones squeezed to the 30 ms minimum; above it
            the transcript names sounds that are not spoken.
        max_speech_in_silence: largest plausible share of loud 10 ms frames that the alignment
            calls silence; above it the transcript leaves out words that are spoken.
        max_combined: largest plausible sum of the two shares.

    The limits sit above what all 250 GRID clips with their true transcripts reach
    (benchmarks/RESULTS.md, "Design decisions"), so a correct transcript is not refused;
    ``benchmarks/alignment_accuracy.py --mismatch`` measures how many wrong ones are.
    """

    chunk_seconds: float = 30.0
    max_squeezed: float = 0.4
    max_speech_in_silence: float = 0.55
    max_combined: float = 0.65

    def __post_init__(self) -> None:
        if self.chunk_seconds < 5:
            raise InputError(f"chunk length {self.chunk_seconds:g} s is too short", "use at least 5 s")


@dataclass(frozen=True)
class _Word:
    text: str
    start: int  # frames
    stop: int  # frames, exclusive
    phones: tuple[tuple[str, int, int], ...]  # (ARPAbet, start frame, stop frame)


class _Aligner:
    """One pocketsphinx decoder (not thread-safe: guarded by a lock)."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=ASR_RATE, bestpath=False, loglevel="FATAL")
        self.lock = threading.Lock()
        self.added: set[str] = set()

    def pronounce(self, word: str) -> None:
        """Make sure ``word`` is in the dictionary, adding a G2P pronunciation if needed."""
        if word in self.added or self.decoder.lookup_word(word) is not None:
            return
        phones: list[str] = []
        for espeak_word in engine().text_to_ipa(word, "en-us"):
            for symbol in espeak_word:
                for key in from_espeak(symbol):
                    phones += [p for p in to_arpabet(key) if p != "SIL"]
        if not phones:
            raise InputError(f"cannot pronounce the word '{word}' in the transcript",
                             "write it with English letters")
        log.debug("G2P for out-of-dictionary word %r: %s", word, " ".join(phones))
        self.decoder.add_word(word, " ".join(phones), True)
        self.added.add(word)

    def align(self, pcm: bytes, words: list[str], phones: bool = True) -> list[_Word] | None:
        """Words (and, if ``phones``, their phones) timed in frames from the start of ``pcm``.

        None if no alignment exists. The phone pass keeps state-level traces in memory (GBs
        for ten minutes of audio), so long audio is word-aligned first and phone-aligned in chunks.
        """
        d = self.decoder
        with self.lock:
            d.set_align_text(" ".join(words))
            d.start_utt()
            d.process_raw(pcm, full_utt=True)
            d.end_utt()
            segments = d.seg()
            if not segments:
                return None
            if not phones:
                return [_Word(re.sub(r"\(\d+\)$", "", s.word), s.start_frame, s.end_frame + 1, ())
                        for s in segments]
            d.set_alignment()
            d.start_utt()
            d.process_raw(pcm, full_utt=True)
            d.end_utt()
            alignment = d.get_alignment()
            if alignment is None:
                return None
            return [_Word(re.sub(r"\(\d+\)$", "", w.name), w.start, w.start + w.duration,
                          tuple((p.name, p.start, p.start + p.duration) for p in w))
                    for w in alignment]


@lru_cache(maxsize=1)
def _aligner() -> _Aligner:
    return _Aligner()


def recognize(audio: str | os.PathLike | tuple[np.ndarray, int]) -> str:
    """The English words pocketsphinx hears in ``audio`` (its bundled en-us language model);
    '' when it hears none. For dubbing speech that comes without a transcript."""
    from pocketsphinx import Decoder

    samples, rate = (np.asarray(audio[0], np.float32), int(audio[1])) if isinstance(audio, tuple) \
        else load_audio(audio)
    pcm = _pcm16(resample(samples, rate, ASR_RATE)).tobytes()
    decoder = Decoder(samprate=ASR_RATE, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    words = [re.sub(r"\(\d+\)$", "", w) for w in (hyp.hypstr.split() if hyp else [])]
    return " ".join(w for w in words if w not in _FILLERS and not w.startswith(("[", "+", "<")))


def recognise_and_align(audio: str | os.PathLike | tuple[np.ndarray, int]) -> Speech | None:
    """Speech without a transcript: the English words pocketsphinx hears (:func:`recognize`),
    force-aligned back onto the audio, so every phone's timing comes from the sound itself even
    where a word is misheard (what matters for learning mouth shapes is the sound heard, not the
    spelling). None when nothing is recognised or the words cannot be aligned (speech in another
    language often ends here)."""
    if not isinstance(audio, tuple):
        audio = load_audio(audio)
    words = recognize(audio)
    if not words:
        return None
    try:
        speech = align(audio, words)
    except (AlignmentError, InputError):
        return None
    return replace(speech, metadata={**speech.metadata, "recognised": True})


def _pcm16(audio: np.ndarray) -> np.ndarray:
    """(n,) float32 in [-1, 1] → the 16-bit little-endian samples pocketsphinx reads."""
    return (np.clip(audio, -1, 1) * 32767).astype("<i2")


def transcript_words(transcript: str) -> list[tuple[str, str | None]]:
    """The words pocketsphinx must find: normalised English ("42" → "forty two"), lower case,
    each with the written form it opens (:attr:`TimedWord.written`)."""
    utterance = analyze(transcript, lang="en", phonemize=False)
    if any(p.lang != "en" for p in utterance.phrases):
        raise InputError("forced alignment reads English only, and the transcript has "
                         f"{sorted({p.lang for p in utterance.phrases} - {'en'})} text",
                         "give an English transcript")
    words: list[tuple[str, str | None]] = []
    carried = ""  # the written form of a word with nothing to align goes to the next one
    for w in utterance.words:
        token = re.sub(r"[^a-z']", "", w.text.lower()).strip("'")
        if token:
            written = None if w.written is None else (carried + " " + w.written).strip() if carried else w.written
            words.append((token, written))
            carried = ""
        else:
            carried = (carried + " " + (w.written or "")).strip()
    if not words:
        raise InputError("the transcript has no English words", "give the words spoken in the audio")
    return words


def align(audio: str | os.PathLike | tuple[np.ndarray, int], transcript: str,
          options: AlignOptions = AlignOptions(), progress: ProgressHook = no_progress) -> Speech:
    """Time every word and phone of ``transcript`` in ``audio``.

    Args:
        audio: a file FFmpeg reads, or (samples (n,) float32 mono, sample rate Hz).
        transcript: exactly what is said (digits, punctuation allowed; English).
        options: chunking and plausibility limits.
        progress: called as ("align", chunks done, chunks in all).

    Returns:
        Speech with the audio at its own rate, phonemes (inventory keys, silence as "sil")
        covering the whole audio, and the transcript's words timed.

    Raises:
        InputError: unreadable audio, empty or non-English transcript.
        AlignmentError: the transcript cannot be aligned or the result is implausible.
    """
    if isinstance(audio, tuple):
        samples, rate = np.asarray(audio[0], np.float32).reshape(-1), int(audio[1])
        name = "the audio"
    else:
        samples, rate = load_audio(audio)
        name = f"'{audio}'"
    duration = len(samples) / rate
    if duration < _MIN_AUDIO_S:
        raise InputError(f"{name} holds only {duration * 1000:.0f} ms of audio (cut short or damaged?)",
                         "give a complete recording of the speech")
    pairs = transcript_words(transcript)
    words, written = [w for w, _ in pairs], [v for _, v in pairs]
    pcm16 = resample(samples, rate, ASR_RATE)
    pcm = _pcm16(pcm16)
    aligner = _aligner()
    for w in set(words):
        aligner.pronounce(w)

    max_frames = round(options.chunk_seconds / FRAME_S)
    single = len(pcm) * 100 // ASR_RATE <= max_frames
    first = aligner.align(pcm.tobytes(), words, phones=single)
    if first is None:
        raise AlignmentError(f"the transcript does not match {name}: no alignment was found",
                             "check that the text is exactly what is said in the recording")
    chunks = [(0, 0, first)] if single else _chunks(first, len(pcm), max_frames)
    aligned: list[_Word] = []
    for i, (f0, f1, chunk_words) in enumerate(chunks):
        if single:
            result = first
        else:
            spoken = [w.text for w in chunk_words if w.text not in _FILLERS]
            piece = pcm[f0 * ASR_RATE // 100: f1 * ASR_RATE // 100].tobytes()
            result = aligner.align(piece, spoken) if spoken else None
            if result is None:
                # Keep the word pass for this stretch; its words get one span per word.
                log.debug("chunk %d/%d did not re-align; keeping the word pass", i + 1, len(chunks))
                result = [_shift(_whole_word(w), -f0) for w in chunk_words]
            result = [_shift(w, f0) for w in result]
        aligned += result
        progress("align", i + 1, len(chunks))

    aligned = _trim_onsets(aligned, MAX_ONSET_FRAMES)
    quality = _check_plausible(aligned, pcm16, name, options)
    spans: list[Span] = []
    timed_words: list[TimedWord] = []
    for w in aligned:
        index = None
        if w.text not in _FILLERS:
            index = len(timed_words)
            timed_words.append(TimedWord(w.text, w.start * FRAME_S, w.stop * FRAME_S))
        for phone, a, b in w.phones:
            keys = from_arpabet(phone)
            spans.append(Span(() if keys == (SILENCE,) else keys, a * FRAME_S, b * FRAME_S,
                              phone, None if keys == (SILENCE,) else index))
    if len(timed_words) == len(written):  # the transcript's words, in order: as written
        timed_words = [replace(w, written=v) for w, v in zip(timed_words, written)]
    return Speech(samples, rate, build_timeline(spans, duration), tuple(timed_words),
                  "pocketsphinx", {"transcript": transcript, "chunks": len(chunks), **quality})


_FILLERS = {"<sil>", "<s>", "</s>", "[NOISE]", "+NSN+", "+SPN+"}


def _whole_word(w: _Word) -> _Word:
    """A word-pass word with phones: its pronunciation spread evenly over its span."""
    if w.text in _FILLERS:
        return _Word(w.text, w.start, w.stop, (("SIL", w.start, w.stop),))
    phones = (_aligner().decoder.lookup_word(w.text) or "SIL").split()
    step = (w.stop - w.start) / len(phones)
    edges = [w.start + round(k * step) for k in range(len(phones))] + [w.stop]
    return _Word(w.text, w.start, w.stop,
                 tuple((p, a, b) for p, a, b in zip(phones, edges, edges[1:]) if b > a))


def _shift(w: _Word, frames: int) -> _Word:
    return _Word(w.text, w.start + frames, w.stop + frames,
                 tuple((p, a + frames, b + frames) for p, a, b in w.phones))


def _trim_onsets(words: list[_Word], max_frames: int) -> list[_Word]:
    """Shorten over-long first phones of words that follow a silence (the gap becomes silence)."""
    out: list[_Word] = []
    for w in words:
        after_silence = not out or out[-1].text in _FILLERS
        if w.text not in _FILLERS and after_silence and w.phones:
            phone, a, b = w.phones[0]
            if b - a > max_frames:
                w = _Word(w.text, b - max_frames, w.stop, ((phone, b - max_frames, b),) + w.phones[1:])
        out.append(w)
    return out


def _chunks(words: list[_Word], n_samples: int, max_frames: int
            ) -> list[tuple[int, int, list[_Word]]]:
    """Cut the first pass into stretches of ≤ ``max_frames`` at the middle of silences.

    Returns (first frame, stop frame, words inside) per chunk; a single chunk when short.
    """
    total = n_samples * 100 // ASR_RATE
    if total <= max_frames:
        return [(0, total, words)]
    cuts = [0]
    candidate: int | None = None  # middle of the latest silence, frames
    for w in words:
        if w.text != "<sil>":
            continue
        mid = (w.start + w.stop) // 2
        if mid - cuts[-1] > max_frames and candidate is not None and candidate > cuts[-1]:
            cuts.append(candidate)
        candidate = mid
    if total - cuts[-1] > max_frames and candidate is not None and candidate > cuts[-1]:
        cuts.append(candidate)
    cuts.append(total)
    out = []
    for f0, f1 in zip(cuts, cuts[1:]):
        inside = [w for w in words if f0 <= (w.start + w.stop) // 2 < f1]
        # Words straddling a cut (silence only) are trimmed to it.
        inside = [_trim(w, f0, f1) for w in inside]
        out.append((f0, f1, inside))
    return out


def _trim(w: _Word, f0: int, f1: int) -> _Word:
    phones = tuple((p, max(a, f0), min(b, f1)) for p, a, b in w.phones if min(b, f1) > max(a, f0))
    return _Word(w.text, max(w.start, f0), min(w.stop, f1), phones)


def _check_plausible(words: list[_Word], audio16: np.ndarray, name: str, options: AlignOptions
                     ) -> dict[str, float]:
    """Reject alignments that only fit because the transcript is wrong.

    A transcript that names words not spoken squeezes many phones to the 30 ms minimum; one that
    leaves spoken words out parks loud speech inside 'silence'.
    """
    durations = np.array([b - a for w in words if w.text not in _FILLERS for _, a, b in w.phones])
    squeezed = float(np.mean(durations <= MIN_PHONE_FRAMES)) if durations.size else 1.0
    loud = _loud_frames(audio16)
    in_silence = np.zeros_like(loud)
    for w in words:
        for p, a, b in w.phones:
            if p == "SIL" or w.text in _FILLERS:
                in_silence[a:b] = True
    n_loud = int(loud.sum())
    speech_in_silence = float((loud & in_silence).sum() / n_loud) if n_loud else 0.0
    quality = {"squeezed_phones": round(squeezed, 3), "speech_in_silence": round(speech_in_silence, 3)}
    log.debug("alignment quality %s", quality)
    if squeezed > options.max_squeezed:
        raise AlignmentError(
            f"the transcript does not seem to match {name}: {squeezed:.0%} of its sounds had to "
            "be squeezed into the shortest possible time",
            "check that the text is exactly what is said in the recording")
    if speech_in_silence > options.max_speech_in_silence or (
            squeezed + speech_in_silence > options.max_combined):
        raise AlignmentError(
            f"the transcript does not seem to match {name}: {speech_in_silence:.0%} of the "
            "speech falls where the transcript has no words",
            "check that the text contains everything that is said in the recording")
    return quality


def _loud_frames(audio16: np.ndarray) -> np.ndarray:
    """(n_frames,) bool: 10 ms frames well above the recording's noise floor."""
    hop = ASR_RATE // 100
    n = len(audio16) // hop
    if n == 0:
        return np.zeros(0, bool)
    frames = audio16[: n * hop].reshape(n, hop)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    floor, peak = np.percentile(db, 10), np.percentile(db, 97)
    # Halfway between floor and peak in dB: speech nuclei, not breaths or room noise.
    return db > floor + 0.5 * (peak - floor)
