"""Media I/O: audio decode/encode, streaming video decode (constant-rate) and H.264 + AAC encode."""

from .audio import load_audio, resample, save_wav
from .reader import Frame, VideoInfo, pick_frames, probe, read_frames
from .writer import VideoWriter

__all__ = ["Frame", "VideoInfo", "VideoWriter", "load_audio", "pick_frames", "probe", "read_frames", "resample",
           "save_wav"]
