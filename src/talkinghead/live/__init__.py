"""Live: an enrolled person speaking while the speech arrives (push audio or text, take frames).

``open_session(avatar)`` → :class:`Session`: ``push_audio`` / ``push_text`` / ``flush`` /
``interrupt`` / ``close``, and ``frames()`` yielding :class:`LiveFrame` records (image, the audio
that plays with it, time, speaking flag), paced on the wall clock or as fast as possible.
"""

from .session import LIVE_RATE, LiveFrame, LiveOptions, Session, open_session

__all__ = ["LIVE_RATE", "LiveFrame", "LiveOptions", "Session", "open_session"]
