"""Hidden checks: extensions in any case, sanitised filenames, byte counts of binary files, and the 400
and 415 answers for everything else.

Each check looks at what its title names: an image is accepted when the answer is 200 or 201 (201 rather than
200, and the exact object, are `accepts-image`'s), the filename check reads `filename` only, the size check
`size` only."""

import io

import pytest
from werkzeug.utils import secure_filename

from grader.checks import expect_json_error, expect_json_key, expect_status

MULTIPART = "multipart/form-data"


def upload(client, filename, content, field="avatar"):
    """POST /avatar with one file, `content` (bytes), in the multipart field `field`."""
    return client.post("/avatar", data={field: (io.BytesIO(content), filename)}, content_type=MULTIPART)


def expect_accepted(resp):
    __tracebackhide__ = True
    expect_status(resp, (200, 201))


def size_hint(resp, content):
    """The cause of a wrong size, when it is the common one: characters (or lines) counted instead of bytes."""
    data = resp.get_json(silent=True)
    size = data.get("size") if isinstance(data, dict) else None
    text = content.decode("utf-8", "replace")
    if isinstance(size, int) and size != len(content) and size in (len(text), len(text.encode("utf-8", "replace"))):
        return (f"{size} is the number of characters once the bytes are decoded as text; did you count characters "
                "instead of bytes? len(file.read()) counts bytes")
    return None


# "in any letter case (`.PNG`, `.JpEg` and `.gif` are all fine)"; names that secure_filename leaves alone,
# so only the letter case of the extension is tested here.
@pytest.mark.parametrize(
    "filename",
    ["AVATAR.PNG", "photo.Jpg", "me.JPEG", "portrait.JpEg", "wave.GIF", "Selfie.pNg"],
)
def test_extension_any_case(client, filename):
    expect_accepted(upload(client, filename, b"GIF89a or PNG, the bytes are not inspected"))


# "`filename` is the uploaded filename passed through `werkzeug.utils.secure_filename`": spaces, accents, `../`,
# quotes and & < >; lower-case extensions, so only the sanitising is tested here.
@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/évil photo.jpg",
        "My Photo.png",
        "naïve café.jpeg",
        "/tmp/x/../avatar.gif",
        "holiday  2024 (1).png",
        "O'Brien & <co>.gif",
    ],
    ids=["dot-dot-slash-accent-space", "space", "accents", "absolute-path", "spaces-and-brackets",
         "html-special-characters"],
)
def test_sanitises_filename(client, filename):
    resp = upload(client, filename, b"text bytes, so that only the filename is tested here")
    expect_accepted(resp)
    expect_json_key(resp, "filename", secure_filename(filename))


_NOISE = bytes(range(256)) * 256  # 64 KB holding every byte value, NUL and invalid UTF-8 included


# "`size` is the number of bytes in the uploaded file (an integer). Files are binary: they may hold any byte,
# NUL included, so count bytes"; "An empty image file is still accepted, with `"size": 0`". Text in UTF-8
# first: a size counted in characters is told apart from one in bytes there, with a hint.
@pytest.mark.parametrize(
    "content",
    [
        "Zoë's café ☕".encode(),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        b"\x00" * 10,
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        _NOISE,
        b"",
    ],
    ids=["utf-8-text", "png-header", "only-nul-bytes", "jpeg-header", "64-kb-every-byte", "empty-file"],
)
def test_counts_binary_bytes(client, content):
    resp = upload(client, "image.png", content)
    expect_accepted(resp)
    expect_json_key(resp, "size", len(content), hint=size_hint(resp, content))


# "or when its filename is empty (what a browser sends when no file was chosen)"
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
    # "**415 Unsupported Media Type** ... when the filename has any other extension: `notes.txt`, `photo.png.exe`
    # (the extension is what follows the **last** dot), `avatarpng` (no dot, no extension), `image.webp`..."
    expect_json_error(upload(client, filename, b"some bytes"), 415)
