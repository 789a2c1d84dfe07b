"""Media I/O: audio decode/encode now; streaming video decode/encode comes with enrollment."""

from .audio import load_audio, resample, save_wav

__all__ = ["load_audio", "resample", "save_wav"]
