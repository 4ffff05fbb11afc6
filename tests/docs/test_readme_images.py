"""Every image README shows is in the repository (the dashboard's screenshots among them:
``make screenshots`` writes them)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def test_readme_images_exist_and_say_what_they_show() -> None:
    images = IMAGE.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    shown = {path for _, path in images}
    assert {"docs/screenshots/dash-ranking.png", "docs/screenshots/dash-item.png"} <= shown
    for alt, path in images:
        assert (ROOT / path).is_file(), path
        assert (ROOT / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" or not path.endswith(".png")
        assert len(alt.split()) >= 3, f"{path}: alt text that says what the image shows"
