"""Hidden checks: extensions in any case, sanitised filenames, byte counts of binary files, and the 400
and 415 answers for everything else."""

import io

import pytest
from werkzeug.utils import secure_filename

from grader.checks import expect_json, expect_json_error, expect_status

MULTIPART = "multipart/form-data"


def upload(client, filename, content, field="avatar"):
    """POST /avatar with one file, `content` (bytes), in the multipart field `field`."""
    return client.post("/avatar", data={field: (io.BytesIO(content), filename)}, content_type=MULTIPART)


def expect_accepted(resp, filename, size):
    __tracebackhide__ = True
    expect_status(resp, 201)
    expect_json(resp, {"filename": filename, "size": size})


# Names that secure_filename leaves alone, so only the letter case of the extension is tested here.
@pytest.mark.parametrize(
    "filename",
    ["AVATAR.PNG", "photo.Jpg", "me.JPEG", "portrait.JpEg", "wave.GIF", "Selfie.pNg"],
)
def test_extension_any_case(client, filename):
    content = b"GIF89a or PNG, the bytes are not inspected"
    expect_accepted(upload(client, filename, content), filename, len(content))


# Lower-case extensions, so only the sanitising is tested here.
@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/évil photo.jpg",
        "My Photo.png",
        "naïve café.jpeg",
        "/tmp/x/../avatar.gif",
        "holiday  2024 (1).png",
    ],
    ids=["dot-dot-slash-accent-space", "space", "accents", "absolute-path", "spaces-and-brackets"],
)
def test_sanitises_filename(client, filename):
    expected = secure_filename(filename)
    content = b"text bytes, so that only the filename is tested here"
    expect_accepted(upload(client, filename, content), expected, len(content))


_NOISE = bytes(range(256)) * 256  # 64 KB holding every byte value, NUL and invalid UTF-8 included


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        b"\x00" * 10,
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        _NOISE,
        b"",
    ],
    ids=["png-header", "only-nul-bytes", "jpeg-header", "64-kb-every-byte", "empty-file"],
)
def test_counts_binary_bytes(client, content):
    expect_accepted(upload(client, "image.png", content), "image.png", len(content))


@pytest.mark.parametrize("content", [b"", b"some bytes"], ids=["no-content", "with-content"])
def test_rejects_empty_filename(client, content):
    expect_json_error(upload(client, "", content), 400)


@pytest.mark.parametrize(
    "filename",
    [
        "notes.txt",
        "avatar.svg",
        "image.webp",
        "photo.png.exe",
        "avatarpng",
        "picture.pngx",
        "archive.gif.zip",
        "README",
    ],
    ids=[
        "txt", "svg", "webp", "png-then-exe", "png-without-dot", "pngx", "gif-then-zip",
        "no-extension",
    ],
)
def test_rejects_other_extension(client, filename):
    expect_json_error(upload(client, filename, b"some bytes"), 415)
