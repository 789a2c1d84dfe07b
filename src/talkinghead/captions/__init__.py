"""Captions from the exact word timings: cues, SRT / WebVTT files, a soft track, burned-in text.

* :func:`make_captions` cuts timed words into :class:`Cue` records (phrases, line limits, reading
  time), showing the text as written;
* :func:`caption_text` / :func:`write_captions` write them as SubRip (.srt) or WebVTT (.vtt);
* :class:`CaptionBurner` draws them into frames, below the face;
* :class:`~talkinghead.video.VideoWriter` muxes them as a subtitle track (``subtitles=``).
"""

from .burn import CaptionBurner, mouth_box
from .cues import SHOW_MODES, CaptionOptions, Captions, Cue, language_of, make_captions
from .files import CAPTION_SUFFIXES, caption_text, captions_for, captions_in_video, write_captions

__all__ = ["CAPTION_SUFFIXES", "SHOW_MODES", "CaptionBurner", "CaptionOptions", "Captions", "Cue", "caption_text",
           "captions_for", "captions_in_video", "language_of", "make_captions", "mouth_box", "write_captions"]
