"""Photo uploads: validation, re-encoding, metadata stripping and storage.

Phone cameras send JPEG (sometimes MPO, i.e. JPEG with extra frames), PNG or WebP. Whatever arrives
is treated as hostile: the format is identified from the bytes (never the file name or the
browser's content type), the pixel count is checked from the header before anything is decoded
(decompression bombs), and the picture is re-encoded from its pixels into a fresh, small,
progressive JPEG. The re-encoding is what strips the metadata: EXIF (GPS position, camera serial,
time), XMP, ICC profiles and comments are never copied, the EXIF orientation having been applied
to the pixels first.

Every way an upload can be bad ends in :class:`PhotoError` with a ``reason`` the app translates;
nothing here raises anything else for bad input, so no upload can cause a server error.

Photos are stored by content hash outside ``static/``, e.g. ``instance/photos/3f/3f9a…e1.jpg``;
the app serves them through a view that checks who may see them (see :func:`photo_path`).

This module needs only Pillow and the standard library (no Flask).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

from PIL import Image, ImageCms, ImageOps

__all__ = [
    "PhotoError",
    "ProcessedPhoto",
    "process_photo",
    "store_photo",
    "photo_path",
    "REASONS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_SIDE",
    "DEFAULT_QUALITY",
]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_SIDE = 2048
DEFAULT_QUALITY = 82

#: Every value :attr:`PhotoError.reason` can take, with the plain English message used for it.
REASONS: dict[str, str] = {
    "empty": "No photo was uploaded (the file is empty).",
    "too_large": "The photo file is too large.",
    "not_an_image": "The file is not an image.",
    "unsupported_type": "This kind of image is not accepted: please upload a JPEG, PNG or WebP photo.",
    "too_many_pixels": "The image has too many pixels.",
    "corrupt": "The image is damaged or incomplete and could not be read.",
}

_READ_CHUNK = 64 * 1024
_WHITE = (255, 255, 255)

# Pillow format names accepted, by the name our own sniffing gives them.
_ALLOWED = {"JPEG": ["JPEG"], "PNG": ["PNG"], "WEBP": ["WEBP"]}
# Pillow turns a JPEG carrying a multi-picture index (many phone cameras) into "MPO"; it is a JPEG.
_ACCEPTED_PIL_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}

_HEX64 = re.compile(r"[0-9a-f]{64}")
_RELATIVE = re.compile(r"([0-9a-f]{2})/([0-9a-f]{64})\.jpg")


class PhotoError(ValueError):
    """An upload that cannot be accepted as a photo.

    ``reason`` is one of :data:`REASONS` (``'empty'``, ``'too_large'``, ``'not_an_image'``,
    ``'unsupported_type'``, ``'too_many_pixels'``, ``'corrupt'``) for the app to translate;
    ``str(error)`` is a plain English message (``error.message``).
    """

    def __init__(self, reason: str, message: str | None = None) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown PhotoError reason {reason!r}")
        self.reason = reason
        self.message = message or REASONS[reason]
        super().__init__(self.message)


@dataclass(frozen=True)
class ProcessedPhoto:
    """A cleaned photo: progressive JPEG bytes (``data``) with no metadata at all, and its size.

    ``sha256`` is the hex digest of ``data`` and names the stored file.
    """

    data: bytes
    width: int
    height: int
    sha256: str


Source = Union[bytes, bytearray, memoryview, BinaryIO]


def process_photo(
    stream_or_bytes: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int = DEFAULT_MAX_SIDE,
    quality: int = DEFAULT_QUALITY,
) -> ProcessedPhoto:
    """Validate an uploaded photo and re-encode it as a clean JPEG.

    ``stream_or_bytes`` is ``bytes`` (or ``bytearray`` / ``memoryview``) or any object with a
    ``read(n)`` method, such as Werkzeug's ``FileStorage``; at most ``max_bytes + 1`` bytes are
    read from a stream, so a huge upload is never read whole.

    Steps: size limits; format from the content (JPEG, PNG or WebP only; the file name and
    content type are ignored); pixel count from the header before decoding (``max_pixels``, and
    Pillow's own decompression-bomb limit); decode; apply the EXIF orientation; convert to sRGB
    RGB (an embedded colour profile is applied, transparency is flattened onto white, 16-bit
    greyscale is scaled down); shrink so the long side is at most ``max_side``; save as an
    optimized progressive JPEG at ``quality`` with no EXIF, ICC profile, XMP or comment.

    Truncated files are rejected as long as Pillow's global ``ImageFile.LOAD_TRUNCATED_IMAGES``
    stays False (its default; nothing in the app should change it). No global state is changed
    here, so it is safe in threads.

    Returns a :class:`ProcessedPhoto`. Raises :class:`PhotoError` for every kind of bad upload
    (any Pillow failure included); ``TypeError`` only for a programming error (wrong argument type).
    """
    data = _read_limited(stream_or_bytes, max_bytes)
    if not data:
        raise PhotoError("empty")
    if len(data) > max_bytes:
        raise PhotoError("too_large", f"The photo file is too large (the limit is {_mb(max_bytes)}).")

    kind = _sniff(data)
    if kind is None:
        raise PhotoError("not_an_image")
    if kind not in _ALLOWED:
        raise PhotoError(
            "unsupported_type",
            f"This kind of image ({kind}) is not accepted: please upload a JPEG, PNG or WebP photo.",
        )

    limit = max_pixels if Image.MAX_IMAGE_PIXELS is None else min(max_pixels, Image.MAX_IMAGE_PIXELS)
    try:
        return _reencode(data, kind, max_pixels=limit, max_side=max_side, quality=quality)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own limit (the warning is only raised when warnings are turned into errors).
        raise PhotoError("too_many_pixels", _pixels_message(None, limit)) from exc
    except MemoryError as exc:
        raise PhotoError("too_many_pixels", _pixels_message(None, limit)) from exc
    except Exception as exc:  # noqa: BLE001 - any decoder failure on hostile input is "corrupt"
        raise PhotoError("corrupt") from exc


def store_photo(processed: ProcessedPhoto, folder: str | os.PathLike[str]) -> str:
    """Write ``processed`` to ``<folder>/<aa>/<sha256>.jpg`` and return ``"<aa>/<sha256>.jpg"``.

    ``aa`` is the first two hex digits of the hash. The write is atomic (a temporary file in the
    same directory, flushed and fsynced, then ``os.replace``), so a reader never sees half a file.
    The same content is stored once: if the file already exists it is left alone. The returned
    relative path (always with ``/``) is what the database keeps; :func:`photo_path` turns it
    back into a file path. Files are created with mode 0600 (only the app's user reads them).
    """
    sha = processed.sha256
    if not _HEX64.fullmatch(sha) or hashlib.sha256(processed.data).hexdigest() != sha:
        raise ValueError("ProcessedPhoto.sha256 is not the SHA-256 of its data")
    relative = f"{sha[:2]}/{sha}.jpg"
    subdir = Path(folder) / sha[:2]
    target = subdir / f"{sha}.jpg"
    if target.is_file():
        return relative
    subdir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=subdir, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(processed.data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return relative


def photo_path(folder: str | os.PathLike[str], relative: str) -> Path:
    """Return the absolute path of a stored photo from the relative path :func:`store_photo` gave.

    Only the exact shape ``"<aa>/<64 hex>.jpg"`` (``aa`` being the hash's first two digits) is
    accepted, so ``..``, absolute paths, backslashes, other extensions and the like raise
    ``ValueError``; the resolved path is also checked to lie inside ``folder``. Whether the
    file exists is not checked (the caller answers 404). Deciding who may see the photo is the
    caller's job: this only maps a trusted name to a file.
    """
    if not isinstance(relative, str):
        raise ValueError("photo path must be a string")
    m = _RELATIVE.fullmatch(relative)
    if m is None or m.group(2)[:2] != m.group(1):
        raise ValueError(f"not a stored photo path: {relative!r}")
    base = Path(folder).resolve()
    path = (base / m.group(1) / f"{m.group(2)}.jpg").resolve()
    if not path.is_relative_to(base):
        raise ValueError(f"photo path escapes the photo folder: {relative!r}")
    return path


# --------------------------------------------------------------------------- internals


def _read_limited(source: Source, max_bytes: int) -> bytes:
    """Return the upload's bytes, reading at most ``max_bytes + 1`` from a stream."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    read = getattr(source, "read", None)
    if read is None:
        raise TypeError("process_photo() needs bytes or a readable binary stream")
    limit = max_bytes + 1
    chunks: list[bytes] = []
    total = 0
    try:
        while total < limit:
            chunk = read(min(_READ_CHUNK, limit - total))
            if not chunk:
                break
            if isinstance(chunk, str):
                raise TypeError("process_photo() needs a binary stream, not a text stream")
            chunks.append(bytes(chunk))
            total += len(chunk)
    except OSError as exc:
        raise PhotoError("corrupt", "The upload could not be read completely.") from exc
    return b"".join(chunks)


def _sniff(data: bytes) -> str | None:
    """Name the format from magic bytes: 'JPEG', 'PNG', 'WEBP', another image type, or None."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    # Images we recognise but do not accept (so the message can say "wrong type", not "not an image").
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIC"
        if brand in (b"avif", b"avis"):
            return "AVIF"
        return None
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "JPEG XL"
    if head[:4] == b"\x00\x00\x01\x00":
        return "ICO"
    if head[:4] == b"8BPS":
        return "PSD"
    if head[:5] == b"%PDF-":
        return "PDF"
    if b"<svg" in data[:1024].lower():
        return "SVG"
    return None


def _reencode(data: bytes, kind: str, *, max_pixels: int, max_side: int, quality: int) -> ProcessedPhoto:
    try:
        img = Image.open(io.BytesIO(data), formats=_ALLOWED[kind])
    except Image.UnidentifiedImageError as exc:
        # The magic bytes said JPEG/PNG/WebP but the header is unreadable.
        raise PhotoError("corrupt") from exc
    with img:
        if img.format not in _ACCEPTED_PIL_FORMATS:  # pragma: no cover - formats= prevents it
            raise PhotoError("unsupported_type")
        width, height = img.size
        if width <= 0 or height <= 0:
            raise PhotoError("corrupt")
        if width * height > max_pixels:  # from the header: nothing has been decoded yet
            raise PhotoError("too_many_pixels", _pixels_message((width, height), max_pixels))

        if img.format in ("JPEG", "MPO") and max(width, height) > max_side:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that is still >= the target size.
            ratio = max_side / max(width, height)
            img.draft(None, (max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))))

        # Only ever the first frame (animated WebP / PNG, MPO).
        img.load()
        icc = img.info.get("icc_profile")

        try:
            oriented = ImageOps.exif_transpose(img)
        except Exception:  # noqa: BLE001 - broken EXIF must not cost us the photo
            oriented = img.copy()

        rgb = _to_rgb(oriented, icc)
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)

        # A brand-new image carries no info dict at all: no exif, icc_profile, comment, xmp, dpi.
        clean = Image.new("RGB", rgb.size, _WHITE)
        clean.paste(rgb)

    out = io.BytesIO()
    clean.save(
        out,
        format="JPEG",
        quality=quality,
        optimize=True,
        progressive=True,
        exif=b"",
        comment=b"",
    )
    jpeg = out.getvalue()
    return ProcessedPhoto(
        data=jpeg,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(jpeg).hexdigest(),
    )


def _to_rgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB pixels in sRGB, transparency flattened onto white."""
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit (or 32-bit) greyscale PNG: scale to 8 bits instead of letting convert() clip.
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
        mode = "L"
    elif mode == "F":  # pragma: no cover - not produced by JPEG/PNG/WebP decoders
        img = img.convert("L")
        mode = "L"

    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        mode in ("P", "L", "RGB", "1") and "transparency" in img.info
    )
    if has_alpha:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif mode != "RGB":
        img = img.convert("RGB")  # L, 1, P, CMYK (Adobe inversion already handled), YCbCr

    if icc:
        img = _apply_icc(img, icc)
    return img


def _apply_icc(img: Image.Image, icc: bytes) -> Image.Image:
    """Convert RGB pixels from an embedded profile (e.g. Display P3) to sRGB; keep them if that fails."""
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if src.profile.xcolor_space.strip() != "RGB":
            return img  # e.g. a CMYK or grey profile: pixels are already plain RGB now
        dst = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(img, src, dst, outputMode="RGB")
        return converted if converted is not None else img
    except Exception:  # noqa: BLE001 - a bad profile must not cost us the photo
        return img


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def _pixels_message(size: tuple[int, int] | None, limit: int) -> str:
    mp = f"{limit / 1_000_000:g} megapixels"
    if size:
        return f"The image has too many pixels ({size[0]} × {size[1]}; the limit is {mp})."
    return f"The image has too many pixels (the limit is {mp})."

