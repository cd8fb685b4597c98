# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the report files, each one atomically (temporary file, then rename).

Controller side only.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re

from ansible_collections.mailtls.remediation.plugins.plugin_utils._files import write_text_atomic
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import formats, html

FORMATS = {
    'json': ('posture.json', formats.render_json),
    'csv': ('hosts.csv', formats.render_csv),
    'junit': ('junit.xml', formats.render_junit),
    'markdown': ('summary.md', formats.render_markdown),
    'html': ('index.html', html.render_html),
}
DEFAULT_FORMATS = ('json', 'csv', 'junit', 'markdown', 'html')


def view_filename(name):
    slug = re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-.') or 'view'
    return os.path.join('views', slug + '.json')


def render_all(fleet, wanted=DEFAULT_FORMATS, max_evidence=5):
    """Render every requested format: returns an ordered list of (relative path, text)."""
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ValueError('unknown report format(s): %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(FORMATS))))
    out = []
    for fmt in wanted:
        filename, render = FORMATS[fmt]
        if fmt == 'html':
            out.append((filename, render(fleet, max_evidence=max_evidence)))
        else:
            out.append((filename, render(fleet)))
    for view in fleet['report'].get('views') or []:
        body = {'name': view['name'], 'query': view['query'], 'description': view.get('description', ''), 'result': view['result']}
        out.append((view_filename(view['name']), json.dumps(body, indent=1, ensure_ascii=False, default=str) + '\n'))
    return out


def write_report(dest, fleet, wanted=DEFAULT_FORMATS, max_evidence=5):
    """Render, then write all files into ``dest``; returns {relative path: absolute path}."""
    rendered = render_all(fleet, wanted, max_evidence=max_evidence)
    written = {}
    for rel, text in rendered:
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_text_atomic(path, text)
        written[rel] = path
    return written
