"""README.ko.md is README.md in Korean: the same command blocks, in the same order, and every section."""

import re

from tests import readme_commands as rc
from tests.conftest import ROOT

EN = (ROOT / "README.md").read_text(encoding="utf-8")
KO = (ROOT / "README.ko.md").read_text(encoding="utf-8")
FENCED = re.compile(r"^```.*?^```\n", re.S | re.M)


def test_every_block_is_the_same_in_both_in_the_same_order():
    assert rc.blocks(KO) == rc.blocks(EN)  # every sh and python block, which CI runs from README.md
    assert FENCED.findall(KO) == FENCED.findall(EN)  # and the layout tree


def test_every_section_is_there_and_written_in_korean():
    def headings(text):
        return [line.split(" ", 1)[0] for line in FENCED.sub("", text).splitlines() if line.startswith("#")]

    assert headings(KO) == headings(EN)
    prose = FENCED.sub("", KO)
    hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in prose)
    letters = len(re.sub(r"`[^`]*`|\s|[|\-]", "", prose))  # outside code and tables' rules
    assert hangul > 0.4 * letters, "README.ko.md's prose is mostly not Korean"
    assert "README.ko.md" in EN and "(README.md)" in KO


def test_tables_have_the_same_rows():
    def rows(text):
        return [line.count("|") for line in text.splitlines() if line.startswith("|")]

    assert rows(KO) == rows(EN)
