"""A copy's text against its story's representative, character by character (Chinese has no word
breaks to diff by), cleaned up into readable runs, as HTML of <ins>/<del>."""

from __future__ import annotations

from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from markupsafe import Markup, escape

MAX_CHARS = 20_000  # longer texts are cut before diffing: the page stays small and fast
CONTEXT = 40  # characters of unchanged text kept on each side of a change


@dataclass(frozen=True)
class TextDiff:
    html: Markup
    inserted: int  # characters only in the copy
    deleted: int  # characters only in the representative
    same: bool


def text_diff(representative: str, copy: str) -> TextDiff:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0.2  # seconds: a diff that takes longer is coarser, never slow
    diffs = dmp.diff_main(representative[:MAX_CHARS], copy[:MAX_CHARS])
    dmp.diff_cleanupSemantic(diffs)
    parts: list[str] = []
    inserted = deleted = 0
    for index, (op, text) in enumerate(diffs):
        if op == diff_match_patch.DIFF_INSERT:
            inserted += len(text)
            parts.append(f"<ins>{escape(text)}</ins>")
        elif op == diff_match_patch.DIFF_DELETE:
            deleted += len(text)
            parts.append(f"<del>{escape(text)}</del>")
        else:
            keep_head = 0 if index == 0 else CONTEXT  # the start of a text before its first change is context enough
            keep_tail = 0 if index == len(diffs) - 1 else CONTEXT
            if len(text) <= keep_head + keep_tail + 10:
                parts.append(str(escape(text)))
            else:
                parts.append(f"{escape(text[:keep_head])}<span class=\"gap\">…</span>"
                             f"{escape(text[len(text) - keep_tail:])}")
    return TextDiff(Markup("".join(parts)), inserted, deleted, inserted == deleted == 0)
