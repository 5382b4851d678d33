#!/usr/bin/python3
"""Builds the statement PDF's CJK fonts: DejaVu Sans (regular and bold) with the
Chinese, Japanese and Korean glyphs of WenQuanYi Micro Hei added, gzipped.

Needs Debian's python3-fonttools, fonts-dejavu-core and fonts-wqy-microhei:

    /usr/bin/python3 build-cjk.py [OUTDIR]   (default: this folder)
"""
import gzip, io, os, sys
from fontTools import subset
from fontTools.merge import Merger, Options as MergeOptions
from fontTools.ttLib import TTFont

HERE = os.path.dirname(os.path.abspath(__file__))
WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
CJK = [(0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3040, 0x309F), (0x30A0, 0x30FF),
       (0x3100, 0x312F), (0x3130, 0x318F), (0x31C0, 0x31FF), (0x3200, 0x32FF), (0x3300, 0x33FF),
       (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F),
       (0xFF00, 0xFFEF)]
DROP = ["GSUB", "GPOS", "GDEF", "kern", "MATH", "FFTM", "vhea", "vmtx", "gasp"]


def subsetted(font, unicodes):
    opts = subset.Options()
    opts.hinting = False
    opts.layout_features = []
    opts.drop_tables += DROP
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    s = subset.Subsetter(opts)
    s.populate(unicodes=unicodes)
    s.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    buf.seek(0)
    return buf


def build(latin_path, out_path, family, style):
    cjk = [u for lo, hi in CJK for u in range(lo, hi + 1)]
    latin = TTFont(latin_path)
    latin_buf = subsetted(latin, list(latin.getBestCmap().keys()))
    wqy_buf = subsetted(TTFont(WQY, fontNumber=0), cjk)
    merged = Merger(options=MergeOptions(drop_tables=DROP)).merge([latin_buf, wqy_buf])
    name = merged["name"]
    full = family + ("" if style == "Regular" else " " + style)
    for rec in list(name.names):
        if rec.nameID in (1, 3, 4, 6, 16, 17):
            name.removeNames(nameID=rec.nameID)
    for nid, val in [(1, family), (2, style), (3, full + " (DejaVu Sans + WenQuanYi Micro Hei)"), (4, full), (6, full.replace(" ", "") )]:
        name.setName(val, nid, 3, 1, 0x409)
        name.setName(val, nid, 1, 0, 0)
    buf = io.BytesIO()
    merged.save(buf)
    with open(out_path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as f:
        f.write(buf.getvalue())
    print(out_path, len(buf.getvalue()), "bytes,", os.path.getsize(out_path), "gzipped,",
          len(merged.getGlyphOrder()), "glyphs")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    build("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", os.path.join(out, "KontorSansCJK.ttf.gz"), "Kontor Sans CJK", "Regular")
    build("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", os.path.join(out, "KontorSansCJK-Bold.ttf.gz"), "Kontor Sans CJK", "Bold")
