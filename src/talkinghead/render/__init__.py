"""Render: photographic frames from the person's own footage (Video Rewrite style).

Per output frame: retrieve real mouth textures from the avatar's bank by shape with temporal
coherence (:mod:`.retrieve`), warp the texture to the exact target lips and jaw (:mod:`.warp`),
then move it into the background frame's head pose, colour-match it and blend it with a feathered
mask (:mod:`.composite`). :mod:`.background` plans which real frames are behind the mouth;
:mod:`.pipeline` runs it all for an avatar; :mod:`.speaker` is the seam ``say`` (text) and ``dub``
(recorded speech) go through, whoever speaks (an avatar, a photo, a video being re-voiced).

Photo mode (:mod:`.photo`) needs no footage: one portrait is warped to generic-viseme mouth
shapes, with a procedural mouth interior (:mod:`.interior`), blinks and an idle head sway.
"""

from .background import BackgroundPlan, plan_background
from .composite import Compositor
from .photo import PhotoOptions, Portrait, check_photo, load_portrait, render_photo
from .pipeline import RenderOptions, RenderReport, render
from .retrieve import TextureIndex, choose_textures
from .speaker import AvatarSpeaker, PhotoSpeaker, Speaker, dub, open_speaker, say
from .warp import warp_crop

__all__ = ["AvatarSpeaker", "BackgroundPlan", "Compositor", "PhotoOptions", "PhotoSpeaker", "Portrait", "RenderOptions",
           "RenderReport", "Speaker", "TextureIndex", "check_photo", "choose_textures", "dub", "load_portrait", "open_speaker",
           "plan_background", "render", "render_photo", "say", "warp_crop"]
