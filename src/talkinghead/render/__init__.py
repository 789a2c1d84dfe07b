"""Render: photographic frames from the person's own footage (Video Rewrite style).

Per output frame: retrieve real mouth textures from the avatar's bank by shape with temporal
coherence (:mod:`.retrieve`), warp the texture to the exact target lips and jaw (:mod:`.warp`),
then move it into the background frame's head pose, colour-match it and blend it with a feathered
mask (:mod:`.composite`). :mod:`.background` plans which real frames are behind the mouth;
:mod:`.pipeline` runs it all: ``say`` (text) and ``dub`` (recorded speech).
"""

from .background import BackgroundPlan, plan_background
from .composite import Compositor
from .pipeline import RenderOptions, RenderReport, dub, render, say
from .retrieve import TextureIndex, choose_textures
from .warp import warp_crop

__all__ = ["BackgroundPlan", "Compositor", "RenderOptions", "RenderReport", "TextureIndex",
           "choose_textures", "dub", "plan_background", "render", "say", "warp_crop"]
