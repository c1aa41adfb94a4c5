#!/usr/bin/env python3
"""Writes feedlab's two Chinese fonts: Noto Sans CJK SC cut down to the characters each one draws.

1. The classroom page's. Debian's Chromium has no CJK font, so without one of its own the page's 中文 mode
   is a row of boxes. The page embeds a font through the @font-face rule of "Feedlab CJK" in web/style.css
   (served from the binary like the rest of web/, so it works offline). That rule says where the font goes
   (src) and which characters it draws (unicode-range): this script writes it (WOFF2) holding every
   character in that range of the page's text files (web/**/*.html, *.js, *.css) and of the report's text
   catalogue (crates/report/texts.toml: the charts tab shows the report's titles and verdicts in the page's
   language), so a new string anywhere is covered by re-running it, and tests/e2e/web-font.test.mjs reads
   the committed font's character map and fails until it is.
2. The report's (crates/report/fonts/noto-sans-sc-report.otf): the Chinese charts are drawn with it by
   plotters, which reads OpenType (not WOFF2) and has no per-character fallback, so it holds printable ASCII
   (numbers, units, step labels) as well as every character of the report's text catalogue; index.zh.html
   embeds it too. `cargo test -p feedlab-report` reads its character map and fails until it covers the
   catalogue.

Each license goes beside its font (SIL Open Font License 1.1, with the font's copyright).

Source: the "Noto Sans CJK SC" face of NotoSansCJK-Regular.ttc in Debian's fonts-noto-cjk, either
installed (`apt-get install fonts-noto-cjk`, the default --root /) or only unpacked:
    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb /tmp/noto
    scripts/subset-cjk-font.py --root /tmp/noto
Needs fonttools and brotli (`pip install fonttools brotli`). The output is the same for the same input.
"""

import argparse
import re
import sys
from dataclasses import dataclass
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
REPORT = REPO / "crates" / "report"
CATALOGUE = REPORT / "texts.toml"
# The transports' Chinese labels (`label_zh`), which the report's pages and charts show.
TRANSPORTS = REPO / "crates" / "contract" / "src" / "transport.rs"
REPORT_FONT = REPORT / "fonts" / "noto-sans-sc-report.otf"
# What a chart draws besides the catalogue's words: numbers, units, step labels and names from the data.
PRINTABLE_ASCII = "".join(chr(c) for c in range(0x20, 0x7F))

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


def characters(paths, ranges=None, where=None):
    """Every printable character of the files (within `ranges` when given), with the first file using it."""
    where = {} if where is None else where
    for path in paths:
        for char in path.read_text(encoding="utf-8"):
            if char.isprintable() and (ranges is None or any(low <= ord(char) <= high for low, high in ranges)):
                where.setdefault(char, path.relative_to(REPO))
    return where


def page_characters(ranges):
    """What the page shows in the CJK range: its own text files, and the report's texts (the charts tab)."""
    web = [path for path in sorted(WEB.rglob("*")) if path.suffix in TEXT_SUFFIXES]
    return characters(web + [CATALOGUE, TRANSPORTS], ranges)


def report_characters():
    """What a Chinese chart shows: printable ASCII and every character of the report's text catalogue."""
    return characters([CATALOGUE, TRANSPORTS], where=dict.fromkeys(PRINTABLE_ASCII, "printable ASCII"))


@dataclass
class Target:
    """One font to write: for what, where, in which format, with which characters (character -> where)."""

    what: str
    out: Path
    license: Path
    flavor: str | None
    characters: dict


def targets():
    """The page's font (its file and characters from web/style.css) and the report's."""
    page_font, ranges = font_face_rule()
    return [
        Target("feedlab's classroom page", page_font, page_font.with_name("OFL.txt"), "woff2", page_characters(ranges)),
        Target(
            "feedlab's report charts and Chinese report page",
            REPORT_FONT,
            REPORT_FONT.with_name("LICENSE-NotoSansCJK.txt"),
            None,  # OpenType: what plotters' font reader (ab_glyph) loads
            report_characters(),
        ),
    ]


def face_index(collection_path):
    """The index of the Simplified Chinese face in the collection (JP, KR, SC, TC, HK, then the Monos)."""
    collection = TTCollection(str(collection_path), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == FACE:
            return index, font
    sys.exit(f"{collection_path} has no face named {FACE!r}")


def ofl_text(copyright_path, font, what):
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
        f"{FACE}, cut down to the characters of {what} by scripts/subset-cjk-font.py\n"
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

    index, font = face_index(collection_path)
    cmap = font.getBestCmap()
    for target in targets():
        where = target.characters
        missing = [f"{c} U+{ord(c):04X} (in {where[c]})" for c in sorted(where) if ord(c) not in cmap]
        if missing:
            sys.exit(f"{FACE} has no glyph for:\n  " + "\n  ".join(missing))
        glyphs = write_subset(collection_path, index, target)
        target.license.write_text(ofl_text(copyright_path, font, target.what), encoding="utf-8")
        print(
            f"{target.out.relative_to(REPO)}: {target.out.stat().st_size} bytes, {glyphs} glyphs "
            f"({len(where)} characters); license in {target.license.relative_to(REPO)}"
        )


def write_subset(collection_path, index, target):
    """Writes `target`'s font; returns its number of glyphs."""
    options = subset.Options()
    options.font_number = index
    options.flavor = target.flavor
    # Smallest for plain horizontal Chinese: no hinting (screens render CJK well unhinted, and plotters
    # does not hint), no OpenType layout features (the SC face's own character map already gives the
    # Simplified Chinese forms), and CFF subroutines inlined (smaller here, and brotli compresses them better).
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = []
    options.drop_tables += ["vhea", "vmtx", "VORG"]  # vertical metrics: nothing here writes vertical text
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(target.characters)))
    face = subset.load_font(str(collection_path), options)
    subsetter.subset(face)
    target.out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(face, str(target.out), options)
    return face["maxp"].numGlyphs


if __name__ == "__main__":
    main()
