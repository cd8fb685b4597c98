# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: byte/text handling for the EXO script engine.

Decoding keeps everything needed to write a script back byte for byte: the codec, the byte order
mark and the line-ending style. The text itself keeps its original line endings, so encoding it
again without edits gives the input bytes back.
"""

import codecs

# PowerShell's tokenizer treats these as '-' (parameter prefixes and operators) and as quotes.
_DASHES = '\u2013\u2014\u2015'
_SINGLE_QUOTES = '\u2018\u2019\u201a\u201b'
_DOUBLE_QUOTES = '\u201c\u201d\u201e'
_NORMALISE = {}
for _ch in _DASHES:
    _NORMALISE[ord(_ch)] = '-'
for _ch in _SINGLE_QUOTES:
    _NORMALISE[ord(_ch)] = "'"
for _ch in _DOUBLE_QUOTES:
    _NORMALISE[ord(_ch)] = '"'

LEGACY_FALLBACK = 'cp1252'

_BOMS = (
    (codecs.BOM_UTF32_LE, 'utf-32-le'),
    (codecs.BOM_UTF32_BE, 'utf-32-be'),
    (codecs.BOM_UTF8, 'utf-8'),
    (codecs.BOM_UTF16_LE, 'utf-16-le'),
    (codecs.BOM_UTF16_BE, 'utf-16-be'),
)
_BOM_BY_CODEC = dict((name, bom) for bom, name in _BOMS)


def normalise(text):
    """Return a same-length copy where Unicode dashes and curly quotes are ASCII, as PowerShell reads them."""
    return text.translate(_NORMALISE)


def _line_endings(text):
    crlf = text.count('\r\n')
    lf = text.count('\n') - crlf
    cr = text.count('\r') - crlf
    kinds = [k for k, n in (('crlf', crlf), ('lf', lf), ('cr', cr)) if n]
    if not kinds:
        style = 'none'
    elif len(kinds) == 1:
        style = kinds[0]
    else:
        style = 'mixed'
    counts = {'crlf': crlf, 'lf': lf, 'cr': cr}
    dominant = max(counts, key=lambda k: (counts[k], k == 'lf'))
    newline = {'crlf': '\r\n', 'lf': '\n', 'cr': '\r'}[dominant] if any(counts.values()) else '\n'
    return style, newline


def dominant_newline(text):
    """The line break used most often in ``text`` (LF on a tie or when there is none)."""
    return _line_endings(text)[1]


def _looks_utf16(data):
    """UTF-16 without BOM: mostly-ASCII text has a NUL in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:4096]
    even_nul = sum(1 for i in range(0, len(sample), 2) if sample[i] == 0)
    odd_nul = sum(1 for i in range(1, len(sample), 2) if sample[i] == 0)
    half = len(sample) // 2
    if odd_nul > half * 0.6 and even_nul == 0:
        return 'utf-16-le'
    if even_nul > half * 0.6 and odd_nul == 0:
        return 'utf-16-be'
    return None


def decode_script(data, fallback=LEGACY_FALLBACK):
    """Decode script bytes. Returns ``(text, encoding)``; ``encode_script(text, encoding) == data``.

    ``encoding`` keys: ``codec`` (Python codec name), ``bom`` (bool), ``line_endings``
    (crlf, lf, cr, mixed or none), ``newline`` (the dominant line break, used for inserted lines),
    ``legacy`` (True when the bytes were not valid UTF and a legacy code page was assumed).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError('decode_script expects bytes')
    data = bytes(data)
    codec = None
    bom = False
    legacy = False
    for mark, name in _BOMS:
        if data.startswith(mark):
            codec, bom = name, True
            body = data[len(mark):]
            break
    if codec is None:
        body = data
        guess = _looks_utf16(data)
        candidates = ([guess] if guess else []) + ['utf-8']
        for name in candidates:
            try:
                text = body.decode(name, 'surrogatepass' if name.startswith('utf-16') else 'strict')
            except UnicodeDecodeError:
                continue
            codec = name
            break
    if codec is None:
        legacy = True
        codec = fallback
    errors = 'surrogatepass' if codec.startswith('utf') else 'strict'
    try:
        text = body.decode(codec, errors)
        if text.encode(codec, errors) != body:
            raise UnicodeError('not reversible')
    except (UnicodeError, LookupError):
        # cp1252 leaves five bytes undefined; latin-1 maps every byte and always round-trips
        codec, legacy = 'latin-1', True
        text = body.decode(codec)
    style, newline = _line_endings(text)
    encoding = {
        'codec': codec,
        'bom': bom,
        'line_endings': style,
        'newline': newline,
        'legacy': legacy,
    }
    return text, encoding


def encode_script(text, encoding):
    """Encode ``text`` with the codec and BOM recorded by :func:`decode_script`.

    Line endings are part of the text (the engine writes inserted lines with ``encoding['newline']``),
    so they are not converted here.
    """
    codec = encoding['codec']
    errors = 'surrogatepass' if codec.startswith('utf') else 'strict'
    body = text.encode(codec, errors)
    if encoding.get('bom'):
        return _BOM_BY_CODEC[codec] + body
    return body


class Positions(object):
    """Character offsets <-> 1-based line and column (columns count Unicode code points)."""

    def __init__(self, text):
        self.text = text
        starts = [0]
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            if ch == '\n':
                starts.append(i + 1)
            elif ch == '\r':
                if i + 1 < n and text[i + 1] == '\n':
                    i += 1
                starts.append(i + 1)
            i += 1
        self.starts = starts

    def line_col(self, offset):
        import bisect
        idx = bisect.bisect_right(self.starts, offset) - 1
        return idx + 1, offset - self.starts[idx] + 1

    def line_text(self, line):
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip('\r\n')

    def line_start(self, offset):
        line, col = self.line_col(offset)
        return offset - col + 1

    def line_end(self, offset):
        """Offset of the line break (or end of text) of the line holding ``offset``."""
        i = offset
        n = len(self.text)
        while i < n and self.text[i] not in '\r\n':
            i += 1
        return i

    def after_break(self, offset):
        """Offset just past the line break at ``offset`` (``offset`` must be a line end)."""
        if self.text.startswith('\r\n', offset):
            return offset + 2
        if offset < len(self.text) and self.text[offset] in '\r\n':
            return offset + 1
        return offset
