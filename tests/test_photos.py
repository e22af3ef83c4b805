"""Tests for inspect_app.photos: validation, re-encoding, metadata stripping, storage."""

from __future__ import annotations

import hashlib
import io
import os
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile

from inspect_app.photos import (
    REASONS,
    PhotoError,
    ProcessedPhoto,
    photo_path,
    process_photo,
    store_photo,
)

GPS = ExifTags.IFD.GPSInfo
ORIENTATION = ExifTags.Base.Orientation


# ----------------------------------------------------------------------------- helpers


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A photo-like image that does not compress to nothing (so truncation hits real data)."""
    rnd = random.Random(seed)
    return Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))


def jpeg_markers(data: bytes) -> list[int]:
    """Every marker code (0xD8 SOI, 0xE1 APP1, 0xFE COM, ...) in a JPEG, including between scans."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers = [0xD8]
    i = 2
    while i < len(data):
        assert data[i] == 0xFF, f"expected a marker at {i}"
        while data[i] == 0xFF:  # fill bytes
            i += 1
        code = data[i]
        i += 1
        markers.append(code)
        if code == 0xD9:  # EOI
            break
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            continue
        (length,) = struct.unpack(">H", data[i : i + 2])
        i += length
        if code == 0xDA:  # SOS: skip entropy-coded data up to the next real marker
            while True:
                if data[i] == 0xFF and data[i + 1] != 0x00 and not 0xD0 <= data[i + 1] <= 0xD7:
                    break
                i += 1
    return markers


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def assert_clean_jpeg(data: bytes) -> Image.Image:
    """The output is a progressive JPEG with no EXIF, XMP, ICC, Photoshop or comment segments."""
    markers = jpeg_markers(data)
    assert markers[-1] == 0xD9
    assert 0xC2 in markers, "not progressive"
    app_segments = {m for m in markers if 0xE1 <= m <= 0xEF}
    assert app_segments == set(), f"metadata segments present: {sorted(hex(m) for m in app_segments)}"
    assert 0xFE not in markers, "COM segment present"
    assert b"Exif\x00\x00" not in data
    assert b"ICC_PROFILE" not in data
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    assert img.mode == "RGB"
    assert len(img.getexif()) == 0
    assert img.getexif().get_ifd(GPS) == {}
    for key in ("exif", "icc_profile", "comment", "xmp", "photoshop"):
        assert key not in img.info
    img.load()
    return img


def close(color, expected, tol=12):
    return all(abs(a - b) <= tol for a, b in zip(color, expected))


class CountingStream(io.RawIOBase):
    """An endless stream that records how much was read from it."""

    def __init__(self, prefix: bytes = b"\xff\xd8\xff\xe0") -> None:
        self.prefix = prefix
        self.served = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            raise AssertionError("the whole stream was requested")
        start = self.served
        self.served += n
        head = self.prefix[start : start + n] if start < len(self.prefix) else b""
        return head + b"\x00" * (n - len(head))


# ----------------------------------------------------------------------------- metadata


def test_gps_exif_icc_and_comment_are_stripped():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Camera 9"
    exif[ExifTags.Base.DateTime] = "2024:05:06 07:08:09"
    exif[GPS] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (22.0, 16.0, 42.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (114.0, 10.0, 9.25),
    }
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = encode(noise((640, 480)), "JPEG", exif=exif, icc_profile=icc, comment=b"secret note")

    # The input really carries the metadata we want gone.
    with Image.open(io.BytesIO(src)) as original:
        gps = original.getexif().get_ifd(GPS)
        assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert float(gps[ExifTags.GPS.GPSLongitude][0]) == 114.0
        assert original.info["icc_profile"] == icc
        assert original.info["comment"] == b"secret note"
    assert 0xE1 in jpeg_markers(src) and 0xFE in jpeg_markers(src)

    photo = process_photo(src)
    img = assert_clean_jpeg(photo.data)
    assert (photo.width, photo.height) == img.size == (640, 480)
    assert b"PhoneMaker" not in photo.data
    assert b"secret note" not in photo.data


def test_exif_orientation_is_applied_then_dropped():
    # Stored landscape: left third red, right two-thirds blue. Orientation 6 = "rotate 90° CW to view".
    stored = Image.new("RGB", (300, 120), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 100, 120))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    photo = process_photo(encode(stored, "JPEG", exif=exif, quality=95))

    img = assert_clean_jpeg(photo.data)
    assert img.size == (120, 300) == (photo.width, photo.height)
    # Rotating clockwise brings the left edge to the top.
    assert close(img.getpixel((60, 30)), (255, 0, 0), tol=40)
    assert close(img.getpixel((60, 250)), (0, 0, 255), tol=40)


# ----------------------------------------------------------------------------- formats


def test_png_with_alpha_is_flattened_on_white():
    src = Image.new("RGBA", (200, 100), (0, 0, 0, 0))  # fully transparent black
    src.paste((200, 0, 0, 255), (100, 0, 200, 100))  # opaque red right half
    photo = process_photo(encode(src, "PNG"))
    img = assert_clean_jpeg(photo.data)
    assert img.size == (200, 100)
    assert close(img.getpixel((40, 50)), (255, 255, 255))
    assert close(img.getpixel((160, 50)), (200, 0, 0), tol=20)


def test_palette_png_with_transparency_is_flattened_on_white():
    src = Image.new("P", (64, 64), 0)
    src.putpalette([0, 0, 0, 0, 128, 0] + [0] * (256 * 3 - 6))
    src.paste(1, (32, 0, 64, 64))
    photo = process_photo(encode(src, "PNG", transparency=0))
    img = assert_clean_jpeg(photo.data)
    assert close(img.getpixel((10, 32)), (255, 255, 255))
    assert close(img.getpixel((50, 32)), (0, 128, 0), tol=20)


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped():
    src = Image.new("I;16", (50, 50), 32768)  # mid grey in 16 bits
    photo = process_photo(encode(src, "PNG"))
    img = assert_clean_jpeg(photo.data)
    assert close(img.getpixel((25, 25)), (128, 128, 128), tol=3)


def test_webp_is_reencoded_to_jpeg():
    src = Image.new("RGB", (320, 240), (10, 120, 200))
    data = encode(src, "WEBP", quality=90)
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    photo = process_photo(data)
    img = assert_clean_jpeg(photo.data)
    assert img.size == (320, 240)
    assert close(img.getpixel((160, 120)), (10, 120, 200), tol=15)


def test_webp_with_alpha():
    src = Image.new("RGBA", (100, 100), (0, 0, 255, 0))
    photo = process_photo(encode(src, "WEBP", lossless=True))
    assert close(assert_clean_jpeg(photo.data).getpixel((50, 50)), (255, 255, 255))


def test_cmyk_jpeg_becomes_rgb():
    src = Image.new("CMYK", (80, 60), (0, 255, 255, 0))  # red in CMYK
    photo = process_photo(encode(src, "JPEG", quality=95))
    img = assert_clean_jpeg(photo.data)
    assert close(img.getpixel((40, 30)), (255, 0, 0), tol=30)


def test_mpo_from_phone_camera_is_accepted_first_frame_only():
    first = Image.new("RGB", (120, 90), (250, 0, 0))
    second = Image.new("RGB", (120, 90), (0, 250, 0))
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(buf.getvalue())) as check:
        assert check.format == "MPO" and check.n_frames == 2
    photo = process_photo(buf.getvalue())
    img = assert_clean_jpeg(photo.data)
    assert img.size == (120, 90)
    assert close(img.getpixel((60, 45)), (250, 0, 0), tol=20)


def test_filename_and_content_type_are_ignored():
    from werkzeug.datastructures import FileStorage

    png = encode(Image.new("RGB", (30, 20), "white"), "PNG")
    upload = FileStorage(io.BytesIO(png), filename="photo.gif", content_type="image/gif")
    assert process_photo(upload).width == 30

    fake = FileStorage(io.BytesIO(b"hello, not a photo"), filename="photo.jpg", content_type="image/jpeg")
    with pytest.raises(PhotoError) as err:
        process_photo(fake)
    assert err.value.reason == "not_an_image"


# ----------------------------------------------------------------------------- resizing


def test_large_jpeg_is_downsized_to_2048_long_side():
    src = Image.new("RGB", (5000, 3000), (30, 160, 90))
    src.paste((200, 40, 40), (0, 0, 2500, 3000))
    photo = process_photo(encode(src, "JPEG", quality=90))
    img = assert_clean_jpeg(photo.data)
    assert img.size == (photo.width, photo.height)
    assert photo.width == 2048
    assert photo.height in (1228, 1229)  # 3000 * 2048 / 5000 = 1228.8
    assert close(img.getpixel((500, 600)), (200, 40, 40), tol=20)
    assert close(img.getpixel((1600, 600)), (30, 160, 90), tol=20)


def test_tall_png_is_downsized_on_its_long_side_and_small_images_are_not_enlarged():
    photo = process_photo(encode(Image.new("RGB", (1000, 3000), "navy"), "PNG"))
    assert photo.height == 2048
    assert photo.width in (682, 683)

    small = process_photo(encode(Image.new("RGB", (640, 480), "navy"), "PNG"))
    assert (small.width, small.height) == (640, 480)


def test_custom_max_side():
    photo = process_photo(encode(noise((900, 600)), "JPEG"), max_side=300)
    assert (photo.width, photo.height) == (300, 200)


def test_result_metadata():
    photo = process_photo(encode(noise((64, 48)), "PNG"))
    assert isinstance(photo, ProcessedPhoto)
    assert photo.sha256 == hashlib.sha256(photo.data).hexdigest()
    with pytest.raises(AttributeError):
        photo.width = 1  # frozen


def test_quality_changes_size():
    src = encode(noise((400, 300)), "PNG")
    assert len(process_photo(src, quality=40).data) < len(process_photo(src, quality=95).data)


# ----------------------------------------------------------------------------- bad uploads


@pytest.mark.parametrize(
    "data",
    [
        b"This is a plain text file.\nIt is not a photo.\n",
        b"%!PS-Adobe-3.0\n",
        b"\x00" * 100,
        b"<html><body>hi</body></html>",
    ],
)
def test_not_an_image(data):
    with pytest.raises(PhotoError) as err:
        process_photo(data)
    assert err.value.reason == "not_an_image"
    assert str(err.value) == REASONS["not_an_image"]


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_types_are_unsupported(fmt):
    data = encode(Image.new("RGB", (10, 10), "red"), fmt)
    with pytest.raises(PhotoError) as err:
        process_photo(data)
    assert err.value.reason == "unsupported_type"
    assert "JPEG, PNG or WebP" in str(err.value)


def test_heic_and_svg_are_unsupported():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    for data in (heic, svg):
        with pytest.raises(PhotoError) as err:
            process_photo(data)
        assert err.value.reason == "unsupported_type"


def test_truncated_jpeg_is_corrupt():
    full = encode(noise((400, 300)), "JPEG", quality=90)
    for cut in (len(full) // 2, 40):
        with pytest.raises(PhotoError) as err:
            process_photo(full[:cut])
        assert err.value.reason == "corrupt"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_truncated_png_is_corrupt():
    full = encode(noise((200, 200)), "PNG")
    with pytest.raises(PhotoError) as err:
        process_photo(full[: len(full) // 3])
    assert err.value.reason == "corrupt"


@pytest.mark.parametrize("source", [b"", io.BytesIO(b"")])
def test_empty_upload(source):
    with pytest.raises(PhotoError) as err:
        process_photo(source)
    assert err.value.reason == "empty"


def test_huge_stream_is_not_read_whole():
    stream = CountingStream()
    with pytest.raises(PhotoError) as err:
        process_photo(stream, max_bytes=1000)
    assert err.value.reason == "too_large"
    assert stream.served == 1001  # max_bytes + 1, then it stopped

    big = CountingStream()
    with pytest.raises(PhotoError) as err:
        process_photo(big)  # the default 10 MB limit
    assert err.value.reason == "too_large"
    assert big.served == 10 * 1024 * 1024 + 1
    assert "10 MB" in str(err.value)


def test_too_large_bytes_and_exact_limit():
    data = encode(noise((100, 100)), "PNG")
    with pytest.raises(PhotoError) as err:
        process_photo(data, max_bytes=len(data) - 1)
    assert err.value.reason == "too_large"
    assert process_photo(data, max_bytes=len(data)).width == 100
    assert process_photo(io.BytesIO(data), max_bytes=len(data)).width == 100


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """A real 30000 x 30000 1-bit PNG of zeros: ~110 KB on disk, 900 million pixels decoded."""
    width = height = 30000
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    parts = [comp.compress(row * 1000) for _ in range(height // 1000)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_without_decoding(png_bomb, monkeypatch):
    assert len(png_bomb) < 200_000
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self) or real_load(self))

    with pytest.raises(PhotoError) as err:
        process_photo(png_bomb)
    assert err.value.reason == "too_many_pixels"
    assert decoded == []

    # Even if the caller raises our limit, Pillow's own bomb limit still applies.
    with pytest.raises(PhotoError) as err:
        process_photo(png_bomb, max_pixels=10**10)
    assert err.value.reason == "too_many_pixels"
    assert decoded == []


def test_image_over_max_pixels_is_refused_before_decoding(monkeypatch):
    data = encode(Image.new("L", (8000, 6000)), "PNG")  # 48 MP > 40 MP default, ~50 KB
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self) or real_load(self))
    with pytest.raises(PhotoError) as err:
        process_photo(data)
    assert err.value.reason == "too_many_pixels"
    assert "8000 × 6000" in str(err.value)
    assert decoded == []

    with pytest.raises(PhotoError) as err:
        process_photo(encode(Image.new("RGB", (100, 100)), "JPEG"), max_pixels=9999)
    assert err.value.reason == "too_many_pixels"


def test_stream_read_error_is_a_photo_error():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            raise OSError("connection reset")

    with pytest.raises(PhotoError) as err:
        process_photo(Broken())
    assert err.value.reason == "corrupt"


def test_wrong_argument_type_is_a_programming_error():
    with pytest.raises(TypeError):
        process_photo(12345)  # type: ignore[arg-type]


def test_photo_error_reasons():
    assert set(REASONS) == {"empty", "too_large", "not_an_image", "unsupported_type", "too_many_pixels", "corrupt"}
    err = PhotoError("corrupt")
    assert isinstance(err, ValueError)
    assert err.reason == "corrupt" and str(err) == REASONS["corrupt"]
    with pytest.raises(ValueError):
        PhotoError("nonsense")


def test_mangled_files_never_raise_anything_but_photo_error():
    """Random damage to valid JPEG/PNG/WebP files: either a clean photo or a PhotoError, nothing else."""
    rnd = random.Random(20240506)
    bases = [
        encode(noise((120, 90), 2), "JPEG", quality=80, progressive=True),
        encode(noise((60, 40), 3), "PNG"),
        encode(noise((60, 40), 4), "WEBP"),
    ]
    outcomes = {"ok": 0, "error": 0}
    for i in range(240):
        data = bytearray(bases[i % 3])
        for _ in range(rnd.randint(1, 12)):
            pos = rnd.randrange(2, len(data))  # keep the magic so the decoder really runs
            data[pos] = rnd.randrange(256)
        if rnd.random() < 0.3:
            del data[rnd.randrange(12, len(data)) :]
        try:
            photo = process_photo(bytes(data))
        except PhotoError as err:
            assert err.reason in REASONS
            outcomes["error"] += 1
        else:
            assert_clean_jpeg(photo.data)
            outcomes["ok"] += 1
    # Both outcomes really occur (with this seed: 91 decoded, 149 refused).
    assert outcomes["error"] > 0 and outcomes["ok"] > 0


# ----------------------------------------------------------------------------- storage


def test_store_photo_writes_atomically_and_dedups(tmp_path):
    folder = tmp_path / "photos"
    photo = process_photo(encode(noise((50, 50)), "PNG"))

    rel = store_photo(photo, folder)
    assert rel == f"{photo.sha256[:2]}/{photo.sha256}.jpg"
    stored = folder / photo.sha256[:2] / f"{photo.sha256}.jpg"
    assert stored.read_bytes() == photo.data

    mtime = stored.stat().st_mtime_ns
    assert store_photo(photo, folder) == rel  # same content: stored once
    assert stored.stat().st_mtime_ns == mtime
    assert [p.name for p in folder.rglob("*") if p.is_file()] == [stored.name]  # no temp files left

    other = process_photo(encode(noise((50, 50), seed=9), "PNG"))
    rel2 = store_photo(other, str(folder))  # str folder works too
    assert rel2 != rel
    assert photo_path(folder, rel2).read_bytes() == other.data
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 2


def test_store_photo_refuses_forged_hash(tmp_path):
    photo = process_photo(encode(noise((20, 20)), "PNG"))
    forged = ProcessedPhoto(data=photo.data, width=20, height=20, sha256="../../" + "a" * 58)
    with pytest.raises(ValueError):
        store_photo(forged, tmp_path)
    wrong = ProcessedPhoto(data=photo.data, width=20, height=20, sha256="0" * 64)
    with pytest.raises(ValueError):
        store_photo(wrong, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_photo_path_returns_path_inside_folder(tmp_path):
    photo = process_photo(encode(noise((20, 20)), "PNG"))
    rel = store_photo(photo, tmp_path)
    path = photo_path(tmp_path, rel)
    assert path.is_absolute()
    assert path.is_relative_to(tmp_path.resolve())
    assert path.read_bytes() == photo.data
    # A well-formed name that was never stored: a path (the caller answers 404), not an error.
    missing = "ab/ab" + "0" * 62 + ".jpg"
    assert not photo_path(tmp_path, missing).exists()


@pytest.mark.parametrize(
    "relative",
    [
        "../secret.jpg",
        "../../etc/passwd",
        "/etc/passwd",
        "ab/../../" + "a" * 64 + ".jpg",
        "ab/" + "a" * 64 + ".jpg",  # directory does not match the hash
        "aa/" + "a" * 64 + ".jpg/../../x",
        "aa\\" + "a" * 64 + ".jpg",
        "aa/" + "a" * 64 + ".png",
        "AA/" + "A" * 64 + ".jpg",
        "aa/" + "a" * 63 + ".jpg",
        "aa/" + "a" * 64 + ".jpg\n",
        "",
        "aa/aa/" + "a" * 64 + ".jpg",
    ],
)
def test_photo_path_refuses_traversal_and_odd_names(tmp_path, relative):
    with pytest.raises(ValueError):
        photo_path(tmp_path, relative)


def test_photo_path_refuses_non_string(tmp_path):
    with pytest.raises(ValueError):
        photo_path(tmp_path, Path("aa") / ("a" * 64 + ".jpg"))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        photo_path(tmp_path, None)  # type: ignore[arg-type]


def test_nothing_is_stored_for_a_bad_upload(tmp_path):
    folder = tmp_path / "photos"
    with pytest.raises(PhotoError):
        store_photo(process_photo(b"not an image"), folder)
    assert not folder.exists()


def test_stored_file_mode_is_private(tmp_path):
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    photo = process_photo(encode(noise((10, 10)), "PNG"))
    path = photo_path(tmp_path, store_photo(photo, tmp_path))
    assert path.stat().st_mode & 0o077 == 0
