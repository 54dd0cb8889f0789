"""docs/benchmarks.md is written by several benchmark scripts: each owns the sections it marks.

A section is the text between ``<!-- begin: NAME -->`` and ``<!-- end: NAME -->``; rewriting one
leaves the hand-written prose and the other scripts' sections alone.
"""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, name: str, lines: list[str]) -> None:
    begin, end = f"<!-- begin: {name} -->", f"<!-- end: {name} -->"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = "\n".join([begin, *lines, end])
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
