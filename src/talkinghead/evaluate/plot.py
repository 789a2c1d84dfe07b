"""The picture of an evaluation: mouth opening over time against the reference and the speech."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._io import atomic_output
from .compare import Evaluation


def plot_curves(evaluation: Evaluation, path: str | os.PathLike) -> Path:
    """Write a PNG: inner-lip opening of the generated (and reference) video per frame, the
    speech envelope on a second axis, pauses shaded. Returns the path."""
    import matplotlib

    matplotlib.use("Agg")  # no display here or on servers
    import matplotlib.pyplot as plt

    c = evaluation.curves
    t = np.arange(len(c.opening_gen)) / c.fps
    fig, ax = plt.subplots(figsize=(10, 3.6), dpi=110)
    if c.silent is not None:
        for k in np.flatnonzero(c.silent):
            ax.axvspan(k / c.fps, (k + 1) / c.fps, color="0.92", lw=0)
    ax.plot(t, c.opening_gen, color="tab:red", lw=1.6, label="generated: lip opening")
    if c.opening_ref is not None:
        ax.plot(t, c.opening_ref, color="tab:blue", lw=1.2, label="reference: lip opening")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("inner-lip gap / IOD")
    ax.set_xlim(0, max(t[-1], 1e-3) if len(t) else 1)
    handles, labels = ax.get_legend_handles_labels()
    if c.envelope_db is not None:
        ax2 = ax.twinx()
        ax2.plot(t, c.envelope_db[: len(t)], color="tab:green", lw=0.8, alpha=0.7)
        ax2.set_ylabel("speech level (dB)", color="tab:green")
        handles.append(plt.Line2D([], [], color="tab:green", lw=0.8))
        labels.append("speech envelope (pauses shaded)")
    m = evaluation.metrics
    title = Path(evaluation.generated).name
    if "mouth_lmd_pct_iod" in m:
        title += (f"   LMD {m['mouth_lmd_pct_iod']:.2f} % IOD, r = {m['opening_correlation']:.2f}, "
                  f"lag {m['opening_lag_frames']:+.0f} frames")
    elif "audio_mouth_correlation" in m:
        title += (f"   audio-mouth r = {m['audio_mouth_correlation']:.2f}, "
                  f"silence closure {m['silence_closure']:.0%}")
    ax.set_title(title, fontsize=9)
    ax.legend(handles, labels, loc="upper right", fontsize=8)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)
