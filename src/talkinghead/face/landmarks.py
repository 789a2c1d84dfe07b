"""Named groups of mediapipe FaceMesh landmark indices (478 points with refine_landmarks)."""

from __future__ import annotations

import numpy as np

N_LANDMARKS = 478

# Outer eye corners: they define the canonical frame (origin between them, 1 unit apart) and the
# inter-ocular distance (IOD) that normalises every mouth measure.
RIGHT_EYE_OUTER = 33  # the subject's right eye, image left in a frontal view
LEFT_EYE_OUTER = 263

# Points that move with the skull, not with the jaw, lips, cheeks or brows: the head-pose fit uses
# only these (eye corners, nose bridge and tip, forehead, temples).
RIGID = np.array([33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 10, 151, 9, 8, 127, 356, 234, 454])

# Rigid points whose place relative to the outer eye corners shows how the head is turned and
# tipped (yaw, pitch), which a 2-D similarity pose cannot remove: inner eye corners, nose bridge
# and tip, forehead. The temples are left out (the jaw pulls the tracker's face outline).
HEAD_SHAPE = np.array([133, 362, 168, 6, 197, 195, 5, 4, 10, 151, 9, 8])

# 40 lip points: outer contour then inner contour, each clockwise from the right corner.
LIPS_OUTER = np.array([61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84,
                       181, 91, 146])
LIPS_INNER = np.array([78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87,
                       178, 88, 95])
# Lower face contour, ear to ear under the chin: moves with the jaw.
JAW = np.array([132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361])

# The mouth shape the phoneme-pose dictionary stores and the renderer drives: lips then jaw.
MOUTH = np.concatenate([LIPS_OUTER, LIPS_INNER, JAW])
N_MOUTH = len(MOUTH)

# Positions inside MOUTH of the points the metrics use.
UPPER_LIP_INNER = int(np.where(MOUTH == 13)[0][0])
LOWER_LIP_INNER = int(np.where(MOUTH == 14)[0][0])
MOUTH_CORNER_RIGHT = int(np.where(MOUTH == 61)[0][0])
MOUTH_CORNER_LEFT = int(np.where(MOUTH == 291)[0][0])


def lip_gap(mouth: np.ndarray) -> np.ndarray:
    """Inner-lip opening of canonical mouth shapes (..., N_MOUTH, 2) → (...), in IOD units."""
    return np.linalg.norm(mouth[..., LOWER_LIP_INNER, :] - mouth[..., UPPER_LIP_INNER, :], axis=-1)


def mouth_width(mouth: np.ndarray) -> np.ndarray:
    """Corner-to-corner width of canonical mouth shapes (..., N_MOUTH, 2) → (...), IOD units."""
    return np.linalg.norm(mouth[..., MOUTH_CORNER_LEFT, :] - mouth[..., MOUTH_CORNER_RIGHT, :], axis=-1)

# Face outline, clockwise from the top of the forehead.
FACE_OVAL = np.array([10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
                      400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21,
                      54, 103, 67, 109])
# Eyelid margins, outer corner → inner corner; UPPER[i] faces LOWER[i] across the eye.
RIGHT_EYE_UPPER = np.array([246, 161, 160, 159, 158, 157, 173])
RIGHT_EYE_LOWER = np.array([7, 163, 144, 145, 153, 154, 155])
LEFT_EYE_UPPER = np.array([466, 388, 387, 386, 385, 384, 398])
LEFT_EYE_LOWER = np.array([249, 390, 373, 374, 380, 381, 382])
EYE_CORNERS = np.array([33, 133, 263, 362])
# Points the mouth and eyelids do not move: brows, nose, forehead, the skin around the eyes.
BROWS = np.array([70, 63, 105, 66, 107, 55, 65, 52, 53, 46, 300, 293, 334, 296, 336, 285, 295, 282,
                  283, 276])
NOSE = np.array([168, 6, 197, 195, 5, 4, 1, 2, 98, 327, 129, 358, 64, 294, 48, 278])
EYE_SURROUND = np.array([247, 30, 29, 27, 28, 56, 190, 25, 110, 24, 23, 22, 26, 112,
                         467, 260, 259, 257, 258, 286, 414, 255, 339, 254, 253, 252, 256, 341])
