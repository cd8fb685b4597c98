# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inline SVG charts for the HTML report (no scripts, no external resources).

Controller side only.  Every function returns an ``<svg>`` element as text.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from html import escape

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model

COLORS = {
    'will_fail': '#b3261e',
    'at_risk': '#e37400',
    'failed': '#7b1fa2',
    'unreachable': '#5f6368',
    'not_reported': '#9aa0a6',
    'unknown': '#c5a100',
    'compliant': '#188038',
}
EFFECT_COLORS = {'will_fail': COLORS['will_fail'], 'at_risk': COLORS['at_risk'], 'unknown': COLORS['unknown'], 'none': '#1a73e8'}


def _e(text):
    return escape('' if text is None else str(text), quote=True)


def _svg(width, height, label, body):
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" class="chart">'
            '<title>%s</title>%s</svg>' % (width, height, _e(label), _e(label), ''.join(body)))


def hbar(rows, label, width=520, bar_height=22, label_width=190, empty='No data'):
    """Horizontal bars: rows are (key, text, value, colour, tooltip)."""
    if not rows:
        return _svg(width, 40, label, ['<text x="8" y="24" class="muted">%s</text>' % _e(empty)])
    top = max(v for _k, _t, v, _c, _tt in rows) or 1
    span = width - label_width - 60
    body = []
    for i, (key, text, value, colour, tip) in enumerate(rows):
        y = 6 + i * (bar_height + 6)
        w = 0 if not value else max(2, int(round(span * value / float(top))))
        body.append('<g class="bar" data-key="%s"><title>%s</title>' % (_e(key), _e(tip or '%s: %s' % (text, value))))
        body.append('<text x="%d" y="%d" text-anchor="end" class="lbl">%s</text>' % (label_width - 8, y + bar_height - 6, _e(_clip(text, 30))))
        body.append('<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s"/>' % (label_width, y, w, bar_height, colour))
        body.append('<text x="%d" y="%d" class="val">%s</text></g>' % (label_width + w + 6, y + bar_height - 6, value))
    return _svg(width, 12 + len(rows) * (bar_height + 6), label, body)


def _clip(text, size):
    text = str(text)
    return text if len(text) <= size else text[:size - 1] + '\u2026'


def outcomes_chart(totals):
    rows = [(k, model.OUTCOME_LABELS[k], totals['by_outcome'][k], COLORS[k], None) for k in model.OUTCOMES]
    return hbar(rows, 'Hosts by outcome')


def findings_chart(totals, limit=10):
    rows = []
    for f in totals['top_findings'][:limit]:
        rows.append((f['id'], f['id'], f['hosts'], EFFECT_COLORS.get(f['effect'], '#1a73e8'),
                     '%s (%s, %s): %d host(s). %s' % (f['id'], f['effect'], f['severity'], f['hosts'], f.get('title') or '')))
    return hbar(rows, 'Top findings (hosts affected)', empty='No findings')


def os_chart(totals, width=520):
    """One stacked bar per OS family, split by outcome."""
    items = list(totals['by_os'].items())
    if not items:
        return _svg(width, 40, 'Hosts by OS and outcome', ['<text x="8" y="24" class="muted">No hosts</text>'])
    label_width, span, bar_height = 90, width - 150, 24
    top = max(sum(c.values()) for _o, c in items) or 1
    body = []
    for i, (os_family, counts) in enumerate(items):
        y = 6 + i * (bar_height + 8)
        total = sum(counts.values())
        body.append('<text x="%d" y="%d" text-anchor="end" class="lbl">%s</text>' % (label_width - 8, y + bar_height - 7, _e(os_family)))
        x = float(label_width)
        for key in model.OUTCOMES:
            value = counts.get(key, 0)
            if not value:
                continue
            w = span * value / float(top)
            body.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s, %s: %d</title></rect>'
                        % (x, y, max(w, 1.0), bar_height, COLORS[key], _e(os_family), _e(model.OUTCOME_LABELS[key]), value))
            x += w
        body.append('<text x="%.1f" y="%d" class="val">%d</text>' % (x + 6, y + bar_height - 7, total))
    return _svg(width, 12 + len(items) * (bar_height + 8), 'Hosts by OS and outcome', body)


def protocol_grid(totals, width=520):
    """Heat grid: per stack kind, the share of its hosts that allow each protocol."""
    kinds = list(totals['stack_protocols'].items())
    label = 'Protocols allowed per TLS stack (share of hosts with that stack)'
    if not kinds:
        return _svg(width, 40, label, ['<text x="8" y="24" class="muted">No TLS stack inventoried</text>'])
    label_width, cell_w, cell_h = 130, 72, 26
    body = []
    for j, proto in enumerate(posture.PROTOCOLS):
        body.append('<text x="%d" y="16" text-anchor="middle" class="lbl">%s</text>'
                    % (label_width + j * cell_w + cell_w // 2, _e(posture.PROTOCOL_LABELS[proto])))
    for i, (kind, entry) in enumerate(kinds):
        y = 24 + i * (cell_h + 4)
        body.append('<text x="%d" y="%d" text-anchor="end" class="lbl">%s (%d)</text>' % (label_width - 8, y + cell_h - 8, _e(kind), entry['hosts']))
        for j, proto in enumerate(posture.PROTOCOLS):
            count = entry['allowed'][proto]
            share = count / float(entry['hosts'] or 1)
            legacy = proto in posture.LEGACY_PROTOCOLS
            if count == 0:
                fill = '#f1f3f4'
            elif legacy:
                fill = 'rgba(179,38,30,%.2f)' % (0.2 + 0.8 * share)
            else:
                fill = 'rgba(24,128,56,%.2f)' % (0.2 + 0.8 * share)
            x = label_width + j * cell_w
            body.append('<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s"><title>%s, %s allowed on %d of %d host(s)</title></rect>'
                        % (x + 2, y, cell_w - 4, cell_h, fill, _e(kind), _e(posture.PROTOCOL_LABELS[proto]), count, entry['hosts']))
            body.append('<text x="%d" y="%d" text-anchor="middle" class="cell">%d%%</text>' % (x + cell_w // 2, y + cell_h - 8, int(round(share * 100))))
    return _svg(max(width, label_width + cell_w * len(posture.PROTOCOLS) + 8), 30 + len(kinds) * (cell_h + 4), label, body)
