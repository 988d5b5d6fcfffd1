"""The README's result images are in the repository and docs/make_images.py is what makes each of them."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_readme_image_exists_and_is_made_by_the_script():
    readme = (ROOT / "README.md").read_text()
    script = (ROOT / "docs" / "make_images.py").read_text()
    images = re.findall(r"\]\((docs/images/[\w-]+\.png)\)", readme)
    assert len(images) >= 7
    for image in images:
        assert (ROOT / image).read_bytes()[:4] == b"\x89PNG", image
        assert f'"{Path(image).name}"' in script, image
