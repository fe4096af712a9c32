#!/usr/bin/python3
"""Converts the openspf.org SPF test suites (YAML, several documents per file) into one JSON
file the C++ conformance runner reads: [{"description", "tests": {name: {...}}, "zonedata":
{name: [[type, value], ...]}}]. Run at build time (python3-yaml)."""
import json
import sys

import yaml


def records(entries):
    out = []
    for e in entries or []:
        if e == 'TIMEOUT':
            out.append(['TIMEOUT', None])
            continue
        for rtype, value in e.items():
            if rtype in ('TXT', 'SPF'):
                if value == 'NONE':
                    out.append([rtype, None])
                    continue
                value = value if isinstance(value, list) else [value]
                value = [str(v) for v in value]
            elif rtype == 'MX':
                value = [int(value[0]), str(value[1])]
            elif rtype == 'RCODE':
                value = int(value)
            else:
                value = str(value)
            out.append([rtype, value])
    return out


def main():
    scenarios = []
    for path in sys.argv[2:]:
        with open(path, 'rb') as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                tests = {}
                for name, t in doc.get('tests', {}).items():
                    result = t['result']
                    tests[name] = {
                        'helo': str(t.get('helo', '')),
                        'host': str(t['host']),
                        'mailfrom': str(t.get('mailfrom', '')),
                        'result': result if isinstance(result, list) else [result],
                        'explanation': t.get('explanation'),
                    }
                zone = {str(k).lower(): records(v) for k, v in (doc.get('zonedata') or {}).items()}
                scenarios.append({'file': path.rsplit('/', 1)[-1], 'description': doc.get('description', ''),
                                  'tests': tests, 'zonedata': zone})
    with open(sys.argv[1], 'w') as f:
        json.dump(scenarios, f, indent=1)


if __name__ == '__main__':
    main()
