#!/usr/bin/env python3
"""Writes the classroom page's Chinese font: Noto Sans CJK SC cut down to the characters the page uses.

Debian's Chromium has no CJK font, so without one of its own the page's 中文 mode is a row of boxes.
The page embeds a font through the @font-face rule of "Feedlab CJK" in web/style.css (served from the
binary like the rest of web/, so it works offline). That rule says where the font goes (src) and which
characters it draws (unicode-range): this script writes it holding every character of the page's text
files (web/**/*.html, *.js, *.css) in that range, so a new string anywhere in the page is covered by
re-running it, and tests/e2e/web-font.test.mjs reads the committed font's character map and fails until
it is. The license goes beside it as OFL.txt (SIL Open Font License 1.1, with the font's copyright).

Source: the "Noto Sans CJK SC" face of NotoSansCJK-Regular.ttc in Debian's fonts-noto-cjk, either
installed (`apt-get install fonts-noto-cjk`, the default --root /) or only unpacked:
    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb /tmp/noto
    scripts/subset-cjk-font.py --root /tmp/noto
Needs fonttools and brotli (`pip install fonttools brotli`). The output is the same for the same input.
"""

import argparse
import re
import sys
from pathlib import Path

try:
    from fontTools import subset
    from fontTools.ttLib import TTCollection
except ImportError:
    sys.exit("needs fonttools and brotli: pip install fonttools brotli")

REPO = Path(__file__).resolve().parent.parent
WEB = REPO / "web"
CSS = WEB / "style.css"
FAMILY = "Feedlab CJK"

FACE = "Noto Sans CJK SC"
COLLECTION = "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
COPYRIGHT = "usr/share/doc/fonts-noto-cjk/copyright"
# The page's text: what the browser renders comes from these (strings in i18n.js, markup, CSS content).
TEXT_SUFFIXES = {".html", ".js", ".css"}


def font_face_rule():
    """The font file and the code point ranges of the page's @font-face for FAMILY (web/style.css)."""
    rule = re.search(r'@font-face\s*\{[^}]*font-family:\s*"' + FAMILY + r'";[^}]*\}', CSS.read_text(encoding="utf-8"))
    src = rule and re.search(r'src:\s*url\("([^"]+)"\)', rule[0])
    ranges = rule and re.search(r"unicode-range:\s*([^;]+);", rule[0])
    if not (src and ranges):
        sys.exit(f'{CSS}: no @font-face for "{FAMILY}" with src: url("...") and unicode-range')
    parsed = []
    for part in ranges[1].split(","):
        bounds = re.fullmatch(r"\s*U\+([0-9A-Fa-f]+)(?:-([0-9A-Fa-f]+))?\s*", part)
        if not bounds:
            sys.exit(f"{CSS}: unicode-range part {part.strip()!r} is not U+X or U+X-Y")
        parsed.append((int(bounds[1], 16), int(bounds[2] or bounds[1], 16)))
    return WEB / src[1], parsed


def page_characters(ranges):
    """Every character of the page's text files within `ranges`, with one file that uses it (for errors)."""
    where = {}
    for path in sorted(WEB.rglob("*")):
        if path.suffix in TEXT_SUFFIXES:
            for char in path.read_text(encoding="utf-8"):
                if any(low <= ord(char) <= high for low, high in ranges):
                    where.setdefault(char, path.relative_to(REPO))
    return where


def face_index(collection_path):
    """The index of the Simplified Chinese face in the collection (JP, KR, SC, TC, HK, then the Monos)."""
    collection = TTCollection(str(collection_path), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == FACE:
            return index, font
    sys.exit(f"{collection_path} has no face named {FACE!r}")


def ofl_text(copyright_path, font):
    """The font's copyright line and the OFL 1.1 text, from the stand-alone `License: SIL-1.1` paragraph of
    Debian's copyright file (Deb822: text lines indented by one space, blank lines written as " .")."""
    for paragraph in copyright_path.read_text(encoding="utf-8").split("\n\n"):
        first, *text = paragraph.strip("\n").splitlines()
        if first.strip() == "License: SIL-1.1" and text:
            break
    else:
        sys.exit(f"{copyright_path}: no 'License: SIL-1.1' paragraph with the license text")
    body = "\n".join("" if line.strip() == "." else line[1:] for line in text)
    return (
        f"{FACE}, cut down to the characters of feedlab's classroom page by scripts/subset-cjk-font.py\n"
        f"(a Modified Version under the license below). Source: Debian fonts-noto-cjk, {COLLECTION}.\n"
        f"{font['name'].getDebugName(0)}\n\n{body.strip()}\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/"), help="where fonts-noto-cjk is installed or unpacked")
    args = parser.parse_args()
    collection_path, copyright_path = args.root / COLLECTION, args.root / COPYRIGHT
    for needed in (collection_path, copyright_path):
        if not needed.is_file():
            sys.exit(f"{needed} not found: install or unpack Debian's fonts-noto-cjk (see --help)")

    out, ranges = font_face_rule()
    license_out = out.with_name("OFL.txt")
    where = page_characters(ranges)
    index, font = face_index(collection_path)
    cmap = font.getBestCmap()
    missing = [f"{c} U+{ord(c):04X} (in {where[c]})" for c in sorted(where) if ord(c) not in cmap]
    if missing:
        sys.exit(f"{FACE} has no glyph for:\n  " + "\n  ".join(missing))

    options = subset.Options()
    options.font_number = index
    options.flavor = "woff2"
    # Smallest for plain horizontal Chinese: no hinting (screens render CJK well unhinted), no OpenType
    # layout features (the SC face's own character map already gives the Simplified Chinese forms), and
    # CFF subroutines inlined, which brotli then compresses better than the subroutines themselves.
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = []
    options.drop_tables += ["vhea", "vmtx", "VORG"]  # vertical metrics: the page writes no vertical text
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(where)))
    face = subset.load_font(str(collection_path), options)
    subsetter.subset(face)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(face, str(out), options)
    license_out.write_text(ofl_text(copyright_path, font), encoding="utf-8")
    print(
        f"{out.relative_to(REPO)}: {out.stat().st_size} bytes, {face['maxp'].numGlyphs} glyphs "
        f"({len(where)} characters); license in {license_out.relative_to(REPO)}"
    )


if __name__ == "__main__":
    main()
