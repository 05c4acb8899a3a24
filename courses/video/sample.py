"""A tiny video made on the spot, for the demo and the tests: nothing is downloaded.

`sample_webm()` encodes synthesised frames with PyAV (FFmpeg's libraries, shipped inside the `av`
wheel) into a VP8 WebM that every browser plays, and returns its bytes. The picture is plain
geometry drawn into raw RGB rows, so no image library (or numpy) is needed: a background whose hue
moves each second, a bar that sweeps left to right over the whole clip (so a viewer can see how far
it played) and one white block per elapsed second.
"""
from __future__ import annotations

import io
from fractions import Fraction

import av

WIDTH, HEIGHT = 320, 180
FPS = 12

# Backgrounds per second, the brand red first; rgb triples.
_PALETTE = (
    (200, 30, 40), (220, 110, 30), (40, 120, 190), (40, 150, 90), (120, 60, 160),
    (90, 90, 90),
)


def _frame_rgb(index: int, total: int, width: int, height: int) -> bytes:
    """One frame's pixels as packed RGB rows (top to bottom)."""
    second = index // FPS
    background = bytes(_PALETTE[second % len(_PALETTE)])
    white = b"\xff\xff\xff"
    bar_top, bar_bottom = height - height // 6, height - height // 12
    bar_end = width * (index + 1) // total
    block, gap, top = height // 8, height // 16, height // 8
    blocks = [(gap + i * (block + gap), gap + i * (block + gap) + block) for i in range(second + 1)]

    plain = background * width
    bar_row = white * bar_end + background * (width - bar_end)
    block_row = bytearray(plain)
    for left, right in blocks:
        right = min(right, width)
        if left < right:
            block_row[left * 3:right * 3] = white * (right - left)
    block_row = bytes(block_row)
    rows = []
    for y in range(height):
        if bar_top <= y < bar_bottom:
            rows.append(bar_row)
        elif top <= y < top + block:
            rows.append(block_row)
        else:
            rows.append(plain)
    return b"".join(rows)


def sample_webm(seconds: int = 4, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """Bytes of a `seconds`-long VP8 WebM (no sound), `width`×`height` pixels at 12 fps."""
    if seconds < 1 or width < 16 or height < 16 or width % 2 or height % 2:
        raise ValueError("sample_webm needs a second or more and an even size of 16 pixels or more")
    out = io.BytesIO()
    total = seconds * FPS
    with av.open(out, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=FPS)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        # Small and quick rather than sharp: the picture is flat colour.
        stream.options = {"crf": "30", "b:v": "200k", "deadline": "realtime", "cpu-used": "8"}
        for index in range(total):
            frame = av.VideoFrame(width, height, "rgb24")
            plane = frame.planes[0]
            pixels = _frame_rgb(index, total, width, height)
            row = width * 3
            if plane.line_size == row:
                plane.update(pixels)
            else:  # FFmpeg pads rows to its alignment: copy row by row.
                stride = plane.line_size
                padded = bytearray(stride * height)
                for y in range(height):
                    padded[y * stride:y * stride + row] = pixels[y * row:(y + 1) * row]
                plane.update(bytes(padded))
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()
