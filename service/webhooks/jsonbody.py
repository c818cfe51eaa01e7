"""One bounded JSON reader for every body Recall reads from outside (webhooks, Acuity's API answers).

`json.loads` recurses once per nesting level and raises RecursionError (a 500) near
1,000 levels, which a 2-KB body reaches; it also turns `1e999` into infinity, reads
NaN, and gives up with a ValueError past 4,300 digits. Here every such body is a
PayloadError naming what is wrong, so the sender is told (4xx) instead of retrying a 5xx.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import PayloadError

MAX_DEPTH = 64  # the deepest real payload (a FHIR Bundle) nests about 8
MAX_INT_DIGITS = 20  # every 64-bit id fits; JavaScript senders write larger numbers as 1e21
# A string, its closing quote optional so that an unterminated one cannot make the scan quadratic.
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_UNIFY = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """How deep arrays and objects nest (brackets inside strings do not count), without recursing.

    Only the brackets are kept; each pass removes every innermost pair, so the passes
    needed to empty them are the depth. Unclosed ones count too; counting stops past `limit`.
    """
    skeleton = _STRINGS.sub(b"", raw).translate(_UNIFY, _NOT_BRACKETS)
    if b"[" * (limit + 1) in skeleton:  # the usual attack, found in one pass
        return limit + 1
    depth = 0
    while b"[]" in skeleton and depth <= limit:
        skeleton = skeleton.replace(b"[]", b"")
        depth += 1
    return depth + skeleton.count(b"[")


def _constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS} are read)")
    return int(text)


def _real(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large a number")
    return value


def read_json(raw: bytes, what: str = "the body") -> Any:
    """The parsed document, or a PayloadError: not JSON, nested deeper than MAX_DEPTH, or a number out of range."""
    depth = nesting_depth(raw)
    if depth > MAX_DEPTH:
        raise PayloadError(
            f"{what} nests arrays or objects more than {MAX_DEPTH} levels deep", [f"(body): nesting depth over {MAX_DEPTH}"]
        )
    try:
        return json.loads(raw, parse_constant=_constant, parse_int=_integer, parse_float=_real)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"{what} is not valid JSON", [str(exc)[:200]]) from None
    except (ValueError, RecursionError) as exc:  # a number out of range; RecursionError only if the scan missed a case
        raise PayloadError(f"{what} holds a value Recall does not read", [f"(body): {str(exc)[:200]}"]) from None
