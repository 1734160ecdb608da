"""Files that are valid WAV audio and, at once, valid JavaScript or HTML: the uploaded-file XSS of
issue 16. Each passes every audio check (a real 1 s tone); only how the server stores and serves
it decides whether a browser ever runs it."""

from __future__ import annotations

import struct

import numpy as np

SR = 16000


def _samples(seconds: float = 1.0) -> bytes:
    t = np.arange(int(SR * seconds)) / SR
    pcm = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes()
    # No "*/" and no line breaks in the samples: they sit inside a JavaScript block comment.
    return pcm.replace(b"*", b"+").replace(b"\n", b" ").replace(b"\r", b" ")


def _wav(riff_size: bytes, data: bytes, trailer: bytes) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, SR, SR * 2, 2, 16)
    return b"RIFF" + riff_size + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack(
        "<I", len(data)
    ) + data + trailer  # fmt: skip


def wav_js(payload: str) -> bytes:
    """``RIFF=1/*WAVE…samples…*/;payload//``: a WAV, and a script that runs ``payload``."""
    return _wav(b"=1/*", _samples(), b"*/;" + payload.encode() + b";//")


def wav_html(script_src: str, marker: str = "") -> bytes:
    """A WAV whose trailing bytes are an HTML page loading ``script_src`` as a script."""
    page = f'<html><body><p>{marker}</p><script src="{script_src}"></script></body></html>'
    return _wav(struct.pack("<I", 0), _samples(), page.encode())
