from collections import Counter
from typing import Dict, List, Optional


class InputError(ValueError):
    """Bad raw input: a file, line or segment that cannot become a sample.

    The message names the input (file, line, segment). ``kind`` is a short
    code that groups skips in the report, e.g. ``'truncated'``,
    ``'malformed'``, ``'non_finite'``, ``'no_frames'``, ``'no_body'``,
    ``'label_range'``.
    """

    def __init__(self, message: str, kind: str = 'malformed') -> None:
        super().__init__(message)
        self.kind = kind


class ConversionReport:
    """What a conversion skipped and what it repaired, and why.

    ``skipped`` entries are inputs that did not become samples. ``resolved``
    entries are defects repaired in samples that were kept (e.g. repeated
    frame rows reduced to one, extra bodies dropped). Both are lists of
    plain dicts, so a report pickles across worker processes and dumps to
    JSON as is.
    """

    def __init__(self) -> None:
        self.skipped: List[Dict] = []
        self.resolved: List[Dict] = []
        self.warnings: List[str] = []

    def skip(self,
             source: str,
             reason: str,
             kind: str = 'malformed',
             sample: Optional[str] = None) -> None:
        """Record that ``source`` (or its ``sample``) was not converted."""
        entry = dict(source=str(source), kind=kind, reason=reason)
        if sample is not None:
            entry['sample'] = sample
        self.skipped.append(entry)

    def skip_error(self,
                   error: InputError,
                   source: str,
                   sample: Optional[str] = None) -> None:
        self.skip(source, str(error), error.kind, sample)

    def resolve(self,
                source: str,
                kind: str,
                detail: str,
                count: int = 1) -> None:
        """Record ``count`` repaired defects of one ``kind`` in ``source``."""
        self.resolved.append(
            dict(
                source=str(source), kind=kind, count=int(count),
                detail=detail))

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def merge(self, other: 'ConversionReport') -> None:
        self.skipped.extend(other.skipped)
        self.resolved.extend(other.resolved)
        self.warnings.extend(other.warnings)

    def skipped_by_kind(self) -> Dict[str, int]:
        return dict(sorted(Counter(s['kind'] for s in self.skipped).items()))

    def resolved_by_kind(self) -> Dict[str, int]:
        counts = Counter()
        for entry in self.resolved:
            counts[entry['kind']] += entry['count']
        return dict(sorted(counts.items()))

    def to_dict(self, **summary) -> Dict:
        """JSON-ready report; ``summary`` items go first (counts, splits)."""
        return dict(
            **summary,
            num_skipped=len(self.skipped),
            skipped_by_kind=self.skipped_by_kind(),
            resolved_by_kind=self.resolved_by_kind(),
            warnings=list(self.warnings),
            skipped=list(self.skipped),
            resolved=list(self.resolved))

    def format_summary(self, max_listed: int = 20) -> str:
        """Human-readable lines: counts by kind and the first skips."""
        lines = [f'skipped: {len(self.skipped)}']
        for kind, count in self.skipped_by_kind().items():
            lines.append(f'  {kind}: {count}')
        for entry in self.skipped[:max_listed]:
            lines.append(f'    - {entry["reason"]}')
        if len(self.skipped) > max_listed:
            lines.append(f'    ... and {len(self.skipped) - max_listed} more '
                         '(see the report file)')
        resolved = self.resolved_by_kind()
        if resolved:
            lines.append('repaired:')
            for kind, count in resolved.items():
                lines.append(f'  {kind}: {count}')
        for message in self.warnings:
            lines.append(f'warning: {message}')
        return '\n'.join(lines)
