"""The service: an HTTP API (FastAPI) and a web page over enroll / say / dub, with jobs that
survive a restart. ``talkinghead serve`` runs it with uvicorn on the loopback interface."""

from .app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]
