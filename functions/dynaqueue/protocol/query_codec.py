"""Form-encoded parameters in and XML text out for the AWS Query protocol, safe against any input."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from dynaqueue.domain.errors import InvalidParameterValue
from dynaqueue.protocol.exchange import HttpRequest

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
XML_CONTENT_TYPE = "text/xml"

# SQS escapes `"` and CR beyond what XML requires: a raw CR would reach the client as LF
# (XML parsers normalise line ends), changing the body and failing the client's MD5 check.
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#xD;"})
# Characters XML 1.0 cannot carry even escaped; only echoed input (never a stored body) has them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def decode_parameters(request: HttpRequest) -> dict[str, str]:
    """The query-string parameters, then those of a form body (which win on a clash); `+` is a space.

    Blank values are kept: `Attribute.1.Value=` is how a client clears a Policy.
    """
    parameters = _parse(request.query_string)
    if _media_type(request.headers.get("content-type", FORM_CONTENT_TYPE)) == FORM_CONTENT_TYPE:
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise _not_utf8() from None
        parameters.update(_parse(body))
    return parameters


def xml_text(value: str) -> str:
    """`value` as XML character data, escaped as SQS escapes it."""
    return _NOT_XML.sub("\ufffd", value).translate(_XML_ESCAPES)


def _parse(encoded: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(encoded, keep_blank_values=True, encoding="utf-8", errors="strict"))
    except UnicodeDecodeError:
        raise _not_utf8() from None


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _not_utf8() -> InvalidParameterValue:
    return InvalidParameterValue("The request parameters must be percent-encoded UTF-8.")
