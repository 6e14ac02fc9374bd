"""Test media made on the spot: melodies (numpy → WAV → ffmpeg), images (Pillow), videos."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SAMPLE_RATE = 22050


def melody(seed: int, seconds: float = 12.0) -> np.ndarray:
    """Random notes with harmonics over a little noise: tonal enough for Chromaprint."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    out = np.zeros(n)
    note = int(0.25 * SAMPLE_RATE)
    t = np.arange(note) / SAMPLE_RATE
    envelope = np.minimum(1, t * 50) * np.exp(-t * 3)
    for start in range(0, n - note + 1, note):
        f = 220 * 2 ** (rng.integers(0, 24) / 12)
        out[start : start + note] += envelope * (
            np.sin(2 * np.pi * f * t)
            + 0.5 * np.sin(2 * np.pi * 2 * f * t)
            + 0.3 * np.sin(2 * np.pi * 1.5 * f * t)
        )
    out += 0.05 * rng.standard_normal(n)
    return out / np.max(np.abs(out)) * 0.8


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def encode(source: Path, target: Path, *codec: str) -> Path:
    ffmpeg("-i", str(source), *codec, str(target))
    return target


def picture(seed: int, size: int = 256) -> Image.Image:
    """A random poster-like picture: coloured shapes on a coloured background."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (size, size), tuple(int(x) for x in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = (int(v) for v in rng.integers(-size // 4, size, 2))
        w, h = (int(v) for v in rng.integers(size // 8, size // 2, 2))
        colour = tuple(int(x) for x in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x0 + w, y0 + h], fill=colour)
        else:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=colour)
    return image


def jpeg_bytes(image: Image.Image, quality: int = 40) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def crop(image: Image.Image, fraction: float = 0.015) -> Image.Image:
    w, h = image.size
    dx, dy = int(w * fraction), int(h * fraction)
    return image.crop((dx, dy, w - dx, h - dy))


def video(path: Path, seeds: list[int], *codec: str, size: str = "320x240") -> Path:
    """A 6 s slideshow video of pictures (three 2 s "scenes"), encoded with ``codec``."""
    frames = path.parent / f"{path.stem}-frames"
    frames.mkdir(exist_ok=True)
    for i, seed in enumerate(seeds):
        picture(seed).save(frames / f"{i}.png")
    ffmpeg(
        "-framerate", "0.5", "-i", str(frames / "%d.png"),
        "-vf", f"fps=10,scale={size}", "-t", "6", *codec, str(path),
    )  # fmt: skip
    return path
