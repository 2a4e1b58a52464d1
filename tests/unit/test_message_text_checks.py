"""The fast character and size checks on message text agree with their slow, obvious definitions."""

from __future__ import annotations

import json
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dynaqueue.domain.messages import _escaped_twice_length, _first_invalid_character

# XML 1.0 `Char`, the set SQS accepts, written as a plain regex.
_OUTSIDE_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Every kind of character the checks treat differently: controls, quotes, backslashes, ASCII,
# two- to four-byte UTF-8, lone surrogates and the noncharacters U+FFFE and U+FFFF.
_ASCII = ["\x00", "\x07", "\b", "\t", "\n", "\f", "\r", "\x1f", " ", '"', "\\", "a", "\x7f"]
_BEYOND_ASCII = ["\x80", "é", "\u4e2d", "\ud7ff", "\ud800", "\udfff", "\ue000", "\ufffd", "\ufffe", "\uffff"]
_INTERESTING = st.sampled_from([*_ASCII, *_BEYOND_ASCII, "\U0001f600", "\U0010ffff"])
TEXT = st.lists(st.one_of(_INTERESTING, st.characters()), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXT)
@example("")
@example('{"quoted": "a\\\\b"}\n')
def test_the_first_invalid_character_is_the_one_the_xml_char_rule_finds(text: str) -> None:
    match = _OUTSIDE_XML.search(text)

    assert _first_invalid_character(text) == (None if match is None else f"#x{ord(match.group()):X}")


@settings(max_examples=400, deadline=None)
@given(TEXT)
@example("")
@example('"\\\x00\x1f\b\f\n\r\t')
def test_the_escaped_twice_length_is_the_length_of_escaping_twice(text: str) -> None:
    escaped_twice = json.dumps(json.dumps(text, ensure_ascii=False), ensure_ascii=False)

    assert _escaped_twice_length(text) == len(escaped_twice.encode("utf-8", "surrogatepass"))
