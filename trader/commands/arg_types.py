"""argparse types shared by every command's options: numbers refused unless plain ASCII,
finite and in their range (NaN, infinities, `1_0`, `١٢`, out of range: an argparse error
naming the option, exit 2, one line), and an operator's free text made writable. Standard
library only, so building the command line stays cheap."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

MAX_DIGITS = 20  # a whole number longer than this is no option value (2**63 has 19)


def plain(text: str) -> bool:
    """ASCII with nothing around it: `float` and `int` also read other scripts' digits
    (`١٢`, `１２`) and spaces around the number, which no option value holds."""
    return text.isascii() and text == text.strip()


def number(
    low: float, high: float, *, above: bool = False, unit: str = ""
) -> Callable[[str], float]:
    """A finite number from `low` (or, `above`, more than `low`) to `high`."""
    bounds = f"above {low:g} and at most {high:g}" if above else f"from {low:g} to {high:g}"

    def read(text: str) -> float:
        if not plain(text):
            raise argparse.ArgumentTypeError(f"not a number: {text!r}")
        try:
            value = float(text) if "_" not in text else math.nan  # float takes 1_0
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        inside = low < value if above else low <= value
        if not (math.isfinite(value) and inside and value <= high):
            raise argparse.ArgumentTypeError(f"{text!r}: {bounds}{unit}")
        return value

    return read


def whole(low: int, high: int) -> Callable[[str], int]:
    """A whole number from `low` to `high`."""

    def read(text: str) -> int:
        if not plain(text) or not text.lstrip("+-").isdigit() or len(text) > MAX_DIGITS:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r}: from {low} to {high}")
        return value

    return read


def operator_text(text: str) -> str:
    """An operator's `--reason` / `--note`: bytes of the command line that are not UTF-8
    (kept by Python as lone surrogates, which no file or log can hold) become U+FFFD, so the
    text is always written — a kill switch is never refused for its reason."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
