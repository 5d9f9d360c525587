"""Korean (and any later language): every message has a translation, and the CLI and page use them."""

import re

import pytest
from fastapi.testclient import TestClient

from digitlab.apps import i18n
from digitlab.apps.cli import build_parser, main
from digitlab.apps.web import app as web

STATIC = i18n.LOCALE.parent / "web" / "static"
OTHER = [lang for lang in i18n.languages() if lang != i18n.DEFAULT]
PERCENT = re.compile(r"%(?:\(\w+\))?[sdr]")


def test_korean_has_a_catalog():
    assert "ko" in OTHER


@pytest.mark.parametrize("language", OTHER)
def test_every_entry_of_the_po_file_is_translated_with_the_same_fields(language):
    path = i18n.LOCALE / f"{language}.po"
    text = path.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = i18n.read_po(path)
    assert len(entries) == text.count("\nmsgid ") - 1  # the header's msgid "" has no entry
    for msgid, msgstr in entries.items():
        assert msgstr != msgid, msgid
        assert sorted(i18n.FIELD.findall(msgid)) == sorted(i18n.FIELD.findall(msgstr)), msgid
        assert sorted(PERCENT.findall(msgid)) == sorted(PERCENT.findall(msgstr)), msgid


@pytest.mark.parametrize("language", OTHER)
def test_every_cli_help_text_has_a_translation(language):
    assert len(i18n.cli_messages(build_parser(translated=False))) > 50
    assert i18n.missing(language) == [], f"run: python -m digitlab.apps.i18n missing {language}"


@pytest.mark.parametrize("language", OTHER)
def test_every_text_of_the_web_page_has_a_translation(language):
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    texts = [t.strip() for t in re.findall(r">([^<>]+)<", html) if t.strip() and t.strip() not in ("digitlab", "?")]
    texts += re.findall(r'(?:alt|aria-label|title)="([^"]+)"', html)
    texts += re.findall(r'\bsay\("([^"]+)"', (STATIC / "app.js").read_text(encoding="utf-8"))
    assert len(texts) >= 9
    have = i18n.catalog(language).messages
    assert [t for t in texts if t not in have] == []


def test_po_reader_joins_lines_reads_escapes_and_skips_fuzzy(tmp_path):
    po = tmp_path / "xx.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: xx\\n"\n\n# a comment\nmsgid "a \\"b\\""\n'
                  'msgstr "c"\n"d\\n"\n\n#, fuzzy\nmsgid "e"\nmsgstr "f"\n\nmsgid "g"\nmsgstr ""\n', encoding="utf-8")
    assert i18n.read_po(po) == {'a "b"': "cd\n"}
    po.write_text('msgid "a"\nmsgstr b\n', encoding="utf-8")
    with pytest.raises(ValueError, match="xx.po:2: expected a quoted string"):
        i18n.read_po(po)


def test_templates_translate_messages_by_shape_with_their_fields_translated():
    tr = i18n.Catalog({"{path}: no such file; expected a {what}": "{path}: 없음; {what} 필요",
                       "model file (.safetensors)": "모델 파일", "Clear": "지우기"})
    assert tr("Clear") == "지우기"
    assert tr("/a b/m.st: no such file; expected a model file (.safetensors)") == "/a b/m.st: 없음; 모델 파일 필요"
    assert tr("something else") == "something else"


@pytest.mark.parametrize("environ, language", [
    ({"LANG": "ko_KR.UTF-8"}, "ko"), ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
    ({"LANGUAGE": "fr:ko", "LANG": "en_US.UTF-8"}, "ko"), ({"LANG": "C.UTF-8"}, "en"), ({}, "en"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
])
def test_language_from_the_environment_as_gettext_picks_it(environ, language):
    assert i18n.from_environment(environ) == language


@pytest.mark.parametrize("header, language", [
    ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"), ("en-US,en;q=0.9,ko;q=0.8", "en"), ("ko", "ko"),
    ("fr-FR,ko;q=0.5", "ko"), ("ko;q=0", "en"), ("", "en"), (None, "en"), ("de;q=abc", "en"),
])
def test_language_from_accept_language(header, language):
    assert i18n.from_accept_language(header) == language


def test_cli_help_and_errors_in_korean_under_a_korean_locale(monkeypatch, capsys, tmp_path):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    with pytest.raises(SystemExit):
        main(["plot", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("사용법: digitlab plot") and "이 도움말을 보여 주고 끝냅니다" in out and "옵션:" in out
    assert main(["plot", str(tmp_path / "h.json")]) == 1
    err = capsys.readouterr().err
    assert err == f"digitlab: 오류: {tmp_path / 'h.json'}: 그런 파일이 없습니다; digitlab train이 쓴 .history.json이(가) 필요합니다\n"
    assert main(["plot", "--bogus"]) == 2
    assert capsys.readouterr().err.endswith("digitlab plot: 오류: 알 수 없는 인자: --bogus\n")
    with pytest.raises(SystemExit):
        main(["evaluate"])
    assert "digitlab evaluate: 오류: 다음 인자가 필요합니다: model" in capsys.readouterr().err

    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["plot", str(tmp_path / "h.json")]) == 1
    assert capsys.readouterr().err.startswith(f"digitlab: error: {tmp_path / 'h.json'}: no such file; expected a ")
    with pytest.raises(SystemExit):
        main(["plot", "--help"])
    assert capsys.readouterr().out.startswith("usage: digitlab plot")


def test_the_page_is_korean_for_a_korean_browser_and_english_otherwise():
    with TestClient(web.create_app()) as client:
        ko = client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"})
        en = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert ko.status_code == en.status_code == 200
    assert '<html lang="ko">' in ko.text and "<button id=\"clear\" type=\"button\">지우기</button>" in ko.text
    assert 'alt="모델이 본 28x28 이미지"' in ko.text and '"reading...": "읽는 중..."' in ko.text
    assert ko.text.count('<script src="/static/app.js">') == 1
    assert en.text == (STATIC / "index.html").read_text(encoding="utf-8")
    assert ko.headers["content-language"] == "ko" and "Accept-Language" in ko.headers["vary"]
