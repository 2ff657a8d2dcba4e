#!/usr/bin/env python3
"""promcheck.py -- a strict checker of the Prometheus text exposition format
(version 0.0.4), for the tests of sipeatd's /metrics.

    promcheck.py FILE            check; print problems, exit 1 if any
    promcheck.py --sum NAME FILE also print the sum of NAME's samples
    promcheck.py --get SERIES FILE  print one sample's value, e.g.
                                 'sipeatd_events_total{status="ok",type="a"}'
                                 (labels in any order), or "absent"

Checks: every sample belongs to a family announced by exactly one # HELP
and one # TYPE, both before its samples, and a family's samples are
contiguous; metric and label names are valid, label values correctly
escaped, values are numbers; no series appears twice; counters end in
_total and are not negative; each histogram series has buckets with
increasing le, cumulative counts, a last bucket le="+Inf", and _sum and
_count, with _count equal to the +Inf bucket.
"""
import math
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


def parse_value(s):
    if s in ('+Inf', 'Inf'):
        return math.inf
    if s == '-Inf':
        return -math.inf
    if s == 'NaN':
        return math.nan
    return float(s)


def parse_labels(s, i, errs, where):
    """Parses {a="b",...} from s[i] == '{'; returns (dict, next index)."""
    labels = {}
    i += 1
    while True:
        if i < len(s) and s[i] == '}':
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            errs.append('%s: bad label name' % where)
            return None, i
        name = m.group(0)
        if name.startswith('__'):
            errs.append('%s: reserved label name %s' % (where, name))
        i = m.end()
        if s[i:i + 2] != '="':
            errs.append('%s: expected =" after label %s' % (where, name))
            return None, i
        i += 2
        val = []
        while True:
            if i >= len(s):
                errs.append('%s: unterminated label value' % where)
                return None, i
            c = s[i]
            if c == '\\':
                nxt = s[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    errs.append('%s: bad escape \\%s' % (where, nxt))
                    return None, i
                val.append('\n' if nxt == 'n' else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == '\n':
                errs.append('%s: newline in label value' % where)
                return None, i
            else:
                val.append(c)
                i += 1
        if name in labels:
            errs.append('%s: label %s twice' % (where, name))
        labels[name] = ''.join(val)
        if i < len(s) and s[i] == ',':
            i += 1
        elif i < len(s) and s[i] == '}':
            continue
        else:
            errs.append('%s: expected , or } in labels' % where)
            return None, i


def family_of(name, types):
    """The family a sample name belongs to, given the announced types."""
    if name in types and types[name] != 'histogram':
        return name
    for suffix in ('_bucket', '_sum', '_count'):
        if name.endswith(suffix):
            base = name[:-len(suffix)]
            if types.get(base) == 'histogram':
                return base
            if types.get(base) == 'summary' and suffix != '_bucket':
                return base
    return None


def check(text):
    """Returns (errors, samples): samples is a list of (name, labels, value)."""
    errs = []
    helps, types = {}, {}
    samples = []
    seen_series = set()
    done_families = set()
    sampled = set()
    current = None
    if text and not text.endswith('\n'):
        errs.append('the document does not end with a newline')
    for n, line in enumerate(text.split('\n'), 1):
        where = 'line %d' % n
        if line == '':
            continue
        if line.startswith('#'):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                fam = parts[2]
                if not NAME.fullmatch(fam):
                    errs.append('%s: bad metric name %r' % (where, fam))
                table = helps if parts[1] == 'HELP' else types
                if fam in table:
                    errs.append('%s: second # %s for %s' % (where, parts[1], fam))
                if fam in sampled:
                    errs.append('%s: # %s for %s after its samples' % (where, parts[1], fam))
                if parts[1] == 'TYPE':
                    if len(parts) != 4 or parts[3] not in TYPES:
                        errs.append('%s: bad type for %s' % (where, fam))
                        continue
                    table[fam] = parts[3]
                else:
                    table[fam] = parts[3] if len(parts) == 4 else ''
            continue
        m = NAME.match(line)
        if not m:
            errs.append('%s: bad sample %r' % (where, line))
            continue
        name = m.group(0)
        i = m.end()
        labels = {}
        if i < len(line) and line[i] == '{':
            labels, i = parse_labels(line, i, errs, where)
            if labels is None:
                continue
        rest = line[i:].split(' ')
        if len(rest) < 2 or rest[0] != '' or len(rest) > 3:
            errs.append('%s: expected one space, a value and an optional timestamp' % where)
            continue
        try:
            value = parse_value(rest[1])
        except ValueError:
            errs.append('%s: bad value %r' % (where, rest[1]))
            continue
        fam = family_of(name, types)
        if fam is None:
            errs.append('%s: sample %s has no # TYPE before it' % (where, name))
            continue
        if fam not in helps:
            errs.append('%s: family %s has no # HELP before its samples' % (where, fam))
        if current != fam:
            if fam in done_families:
                errs.append('%s: samples of %s are not contiguous' % (where, fam))
            if current is not None:
                done_families.add(current)
            current = fam
        sampled.add(fam)
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            errs.append('%s: duplicate series %s%s' % (where, name, labels))
        seen_series.add(key)
        if types[fam] == 'counter':
            if not fam.endswith('_total'):
                errs.append('%s: counter %s does not end in _total' % (where, fam))
            if not value >= 0:
                errs.append('%s: counter %s is %r' % (where, name, value))
        if types[fam] == 'histogram' and name == fam + '_bucket' and 'le' not in labels:
            errs.append('%s: bucket without le' % where)
        samples.append((name, labels, value, fam))
    for fam in set(helps) | set(types):
        if fam not in helps:
            errs.append('family %s has # TYPE but no # HELP' % fam)
        if fam not in types:
            errs.append('family %s has # HELP but no # TYPE' % fam)
    errs += check_histograms(samples, types)
    return errs, samples


def check_histograms(samples, types):
    errs = []
    series = {}
    for name, labels, value, fam in samples:
        if types.get(fam) != 'histogram':
            continue
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != 'le'))
        s = series.setdefault((fam, rest), {'buckets': [], 'sum': None, 'count': None})
        if name == fam + '_bucket' and 'le' in labels:
            try:
                s['buckets'].append((parse_value(labels['le']), value))
            except ValueError:
                errs.append('%s%s: bad le %r' % (fam, dict(rest), labels['le']))
        elif name == fam + '_sum':
            s['sum'] = value
        elif name == fam + '_count':
            s['count'] = value
    for (fam, rest), s in series.items():
        what = '%s%s' % (fam, dict(rest))
        b = s['buckets']
        if not b:
            errs.append('%s: no buckets' % what)
            continue
        if b[-1][0] != math.inf:
            errs.append('%s: the last bucket is not le="+Inf"' % what)
        for (le1, c1), (le2, c2) in zip(b, b[1:]):
            if not le2 > le1:
                errs.append('%s: le %r after %r: not increasing' % (what, le2, le1))
            if c2 < c1:
                errs.append('%s: bucket le=%r has %r < %r: not cumulative' % (what, le2, c2, c1))
        if s['sum'] is None:
            errs.append('%s: no _sum' % what)
        if s['count'] is None:
            errs.append('%s: no _count' % what)
        elif s['count'] != b[-1][1]:
            errs.append('%s: _count %r differs from the +Inf bucket %r' % (what, s['count'], b[-1][1]))
    return errs


def parse_series(spec):
    m = NAME.match(spec)
    labels = {}
    if m.end() < len(spec):
        labels, _ = parse_labels(spec, m.end(), [], 'series')
    return m.group(0), labels


def main(argv):
    sums, gets = [], []
    args = argv[1:]
    while len(args) > 1 and args[0] in ('--sum', '--get'):
        (sums if args[0] == '--sum' else gets).append(args[1])
        args = args[2:]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0], encoding='utf-8') as f:
        text = f.read()
    errs, samples = check(text)
    for e in errs:
        print('promcheck: %s' % e, file=sys.stderr)
    for name in sums:
        total = sum(v for n, _, v, _ in samples if n == name)
        print('%g' % total)
    for spec in gets:
        name, labels = parse_series(spec)
        found = [v for n, lb, v, _ in samples if n == name and lb == labels]
        print('%g' % found[0] if found else 'absent')
    return 1 if errs else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
