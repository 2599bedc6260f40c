"""Bibliographic references carried as data by every model and channel."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOI = re.compile(r"doi:\s*(10\.\S+?)[.;,]?(?:\s|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    """A bibliographic reference.

    Either structured (``authors``, ``year``, ``title``, ``source``) or one line of
    free text (``text``), as a model file may give it.

    >>> str(Citation.from_text("Pospischil M et al. (2008) Biol Cybern 99:427. "
    ...                        "doi:10.1007/s00422-008-0263-8").doi)
    '10.1007/s00422-008-0263-8'
    """

    authors: str = ""
    year: int | None = None
    title: str = ""
    source: str = ""
    doi: str | None = None
    url: str | None = None
    text: str | None = None

    @classmethod
    def from_text(cls, text: str) -> Citation:
        """A citation given as one line; its DOI, if any, is picked out."""
        match = _DOI.search(text + " ")
        return cls(text=text.strip(), doi=match.group(1) if match else None)

    def __str__(self) -> str:
        if self.text is not None:
            return self.text
        out = f"{self.authors} ({self.year}). {self.title}. {self.source}."
        if self.doi:
            out += f" doi:{self.doi}"
        elif self.url:
            out += f" {self.url}"
        return out
