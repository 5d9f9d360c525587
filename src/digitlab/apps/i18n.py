"""The CLI and the web page in the user's language: gettext catalogs read from ``locale/<lang>.po``.

English is the source language (the msgids); each other language has one ``.po`` file, read here
by a small pure-Python reader (no compiled ``.mo`` to keep in step). Two kinds of entries:

- a plain message, translated when the text is exactly the msgid ("show this help message and exit");
- a template whose msgid has ``{name}`` fields ("{path}: no such file; expected a {what}"): a message
  of that shape is translated with each field's text put in, itself translated when the catalog has
  it ("a model file (.safetensors)"). Error messages are built with f-strings all over the package,
  so they are translated here, in one place, by shape.

The language: the first of ``$LANGUAGE``, ``$LC_ALL``, ``$LC_MESSAGES``, ``$LANG`` that is set (as
gettext does), or a browser's ``Accept-Language``; a language without a catalog means English.

``python -m digitlab.apps.i18n missing ko`` prints .po entries for the CLI messages ko.po lacks.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import os
import re
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"


@functools.cache
def languages() -> tuple[str, ...]:
    """English and every language with a catalog: ("en", "ko")."""
    return (DEFAULT, *sorted(p.stem for p in LOCALE.glob("*.po")))


def read_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (untranslated and fuzzy entries left out; the header too).

    Strings are C-escaped and split over lines ("a" "b" is "ab"), as gettext writes them."""
    entries, fuzzy = {}, False
    current: dict[str, list[str]] = {}
    key = None

    def finish():
        nonlocal current, fuzzy
        if "msgid" in current:
            msgid, msgstr = "".join(current["msgid"]), "".join(current.get("msgstr", []))
            if msgid and msgstr and not fuzzy:
                entries[msgid] = msgstr
        current, fuzzy = {}, False

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line:
            finish()
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgstr ")):
            key, _, rest = line.partition(" ")
            if key == "msgid" and "msgid" in current:
                finish()
            current[key] = [_unquote(rest, path, number)]
        elif line.startswith('"') and key:
            current[key].append(_unquote(line, path, number))
        else:
            raise ValueError(f"{path}:{number}: not a .po line: {line!r}")
    finish()
    return entries


def _unquote(text: str, path: Path, number: int) -> str:
    if not (len(text) >= 2 and text[0] == text[-1] == '"'):
        raise ValueError(f"{path}:{number}: expected a quoted string, got {text!r}")
    return ast.literal_eval(text)  # C escapes (\n, \", \\) read as Python's


FIELD = re.compile(r"\{(\w+)\}")


class Catalog:
    """One language's messages: exact ones, and templates matched by shape (longest first)."""

    def __init__(self, messages: dict[str, str]):
        self.messages = messages
        self.templates = []
        for msgid, msgstr in sorted(messages.items(), key=lambda kv: -len(FIELD.sub("", kv[0]))):
            if FIELD.search(msgid):
                parts = FIELD.split(msgid)  # literal, name, literal, name, ..., literal
                pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
                self.templates.append((re.compile(pattern + r"\Z", re.DOTALL), msgstr))

    def __call__(self, text: str) -> str:
        if text in self.messages:
            return self.messages[text]
        for pattern, msgstr in self.templates:
            m = pattern.match(text)
            if m:
                return msgstr.format(**{k: self(v) for k, v in m.groupdict().items()})
        return text


@functools.cache
def catalog(language: str) -> Catalog:
    path = LOCALE / f"{language}.po"
    return Catalog(read_po(path) if language != DEFAULT and path.is_file() else {})


def from_environment(environ=os.environ) -> str:
    """The language gettext would pick from the environment, if it has a catalog; else English."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            for choice in value.split(":"):  # LANGUAGE may list several: "ko:en"
                code = choice.split("_")[0].split(".")[0].lower()
                if code in languages():
                    return code
                if code in ("c", "posix"):
                    return DEFAULT
            return DEFAULT
    return DEFAULT


def from_accept_language(header: str | None) -> str:
    """The browser's most preferred language that has a catalog ("ko-KR,ko;q=0.9,en;q=0.8" -> "ko")."""
    ranked = []
    for i, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.split("-")[0].strip().lower()))
    for neg_q, _, code in sorted(ranked):
        if neg_q < 0 and code in languages():
            return code
    return DEFAULT


def translate(text: str, language: str | None = None) -> str:
    return catalog(language or from_environment())(text)


# ---- the CLI ------------------------------------------------------------------------------------

def error_line(prog: str, message: str) -> str:
    """``digitlab: error: ...``, in the user's language, on one line: a newline or other control character
    (in a file's name, say) is written as its escape, ``\\n``."""
    language = from_environment()
    line = translate("{prog}: error: {message}", language).format(prog=prog, message=translate(message, language))
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)


def parsers(parser: argparse.ArgumentParser):
    """``parser`` and every sub-command parser under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from parsers(sub)


def cli_messages(parser: argparse.ArgumentParser) -> list[str]:
    """Every description and help text of ``parser`` and its sub-commands (the msgids to translate)."""
    found = []
    for p in parsers(parser):
        found += [p.description] if p.description else []
        for action in p._actions:
            if action.help and action.help != argparse.SUPPRESS:
                found.append(action.help)
            if isinstance(action, argparse._SubParsersAction):
                found += [a.help for a in action._choices_actions if a.help]
    return list(dict.fromkeys(found))


def translate_parser(parser: argparse.ArgumentParser, language: str) -> None:
    """Put ``language``'s descriptions and help texts into ``parser`` and its sub-commands."""
    tr = catalog(language)
    for p in parsers(parser):
        p.description = p.description and tr(p.description)
        for action in p._actions:
            if action.help and action.help != argparse.SUPPRESS:
                action.help = tr(action.help)
            if isinstance(action, argparse._SubParsersAction):
                for a in action._choices_actions:
                    a.help = a.help and tr(a.help)


@contextlib.contextmanager
def argparse_in(language: str):
    """argparse's own words ("usage: ", "options", "unrecognized arguments: %s"...) in ``language``
    while the block runs (argparse looks its ``_`` up at each call)."""
    tr = catalog(language)
    if not tr.messages:
        yield
        return
    saved = argparse._
    argparse._ = lambda text: tr.messages.get(text, saved(text))
    try:
        yield
    finally:
        argparse._ = saved


# ---- the web page -------------------------------------------------------------------------------

def translate_html(html: str, language: str) -> str:
    """The page's text and attribute values that are msgids, in ``language``; ``<html lang>`` set.

    Also gives the page's script its messages, as ``window.DIGITLAB_MESSAGES``."""
    tr = catalog(language)
    if not tr.messages:
        return html
    html = re.sub(r'<html lang="[^"]*"', f'<html lang="{language}"', html, count=1)
    html = re.sub(r">([^<>]+)<", lambda m: ">" + _keep_space(m.group(1), tr) + "<", html)
    html = re.sub(r'(alt|aria-label|title)="([^"]+)"', lambda m: f'{m.group(1)}="{tr(m.group(2))}"', html)
    import json

    messages = json.dumps(tr.messages, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>" inside
    script = f"<script>window.DIGITLAB_MESSAGES = {messages};</script>\n"
    return html.replace("<script ", script + "  <script ", 1)


def _keep_space(text: str, tr: Catalog) -> str:
    stripped = text.strip()
    return text.replace(stripped, tr(stripped)) if stripped else text


def missing(language: str) -> list[str]:
    """The CLI's descriptions and help texts that ``language``'s catalog does not translate."""
    from .cli import build_parser

    have = catalog(language).messages
    return [m for m in cli_messages(build_parser(translated=False)) if m not in have]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


if __name__ == "__main__":  # python -m digitlab.apps.i18n missing ko
    if len(sys.argv) != 3 or sys.argv[1] != "missing":
        sys.exit("usage: python -m digitlab.apps.i18n missing LANGUAGE")
    for message in missing(sys.argv[2]):
        print(f"msgid {_quote(message)}\nmsgstr \"\"\n")
