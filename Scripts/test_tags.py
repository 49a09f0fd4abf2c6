#!/usr/bin/env python3
"""Swift Testing tags instead of name suffixes: `.integration` (and `.dovecot`, `.browser`).

Usage: Scripts/test_tags.py [--check | --apply] [TESTS_FOLDER]   (default: Tests)

--check (the default; `make lint` runs it) fails when a test function's name still ends in
`Integration` (the old way of marking one), or when a suite named `…IntegrationTests` does
not carry `.integration`: so the tags cannot drift back into names.

--apply makes it so, mechanically and idempotently (safe to run again after a merge brought in
suffixed tests): a suite named `…IntegrationTests`, or whose every test had the suffix, gets
`.tags(.integration)` on its `@Suite`; a suite that starts Dovecot (`DovecotServer`) or Chromium
(`HeadlessChromium`) gets `.dovecot` or `.browser` too; a test whose name ended in `Integration`
loses the suffix and, in a suite not tagged as a whole, gets `.tags(.integration)` on its `@Test`.
The tags are declared in Tests/HeraldTestSupport/Tags.swift. Python 3's standard library only.
"""

import os
import re
import sys

SUFFIXED = re.compile(r"\bfunc\s+([A-Za-z_]\w*?)Integration\s*\(")
SUITE = re.compile(r"@Suite(\([^\n]*?\))?\s+(?:final\s+)?(?:struct|class|enum|actor)\s+([A-Za-z_]\w*)")


def suites(text):
    """[(start, end, match)]: each suite's attribute and the text up to the next suite."""
    found = list(SUITE.finditer(text))
    return [(m.start(), found[i + 1].start() if i + 1 < len(found) else len(text), m) for i, m in enumerate(found)]


def tags_of(attribute):
    m = re.search(r"\.tags\(([^)]*)\)", attribute or "")
    return set(t.strip() for t in m.group(1).split(",")) if m else set()


def wanted_suite_tags(name, body):
    tags = set()
    tests = len(re.findall(r"@Test\b", body))
    suffixed = len(SUFFIXED.findall(body))
    if name.endswith("IntegrationTests") or (tests and suffixed == tests):
        tags.add(".integration")
    if "DovecotServer" in body:
        tags |= {".integration", ".dovecot"}
    if "HeadlessChromium" in body:
        tags |= {".integration", ".browser"}
    return tags


def with_tags(attribute, tags):
    """The `@Suite`/`@Test` attribute text with `tags` in its `.tags(…)` trait."""
    order = [".integration", ".dovecot", ".browser"]
    have = tags_of(attribute)
    every = sorted(have | tags, key=lambda t: (order.index(t) if t in order else len(order), t))
    trait = ".tags(" + ", ".join(every) + ")"
    name, args = re.match(r"(@\w+)(\(.*\))?$", attribute, re.S).groups()
    if args is None:
        return f"{name}({trait})"
    inner = args[1:-1]
    if have:
        return name + "(" + re.sub(r"\.tags\([^)]*\)", trait, inner) + ")"
    if not inner.strip():
        return f"{name}({trait})"
    if inner.lstrip().startswith('"'):  # a display name stays first
        end = re.match(r'\s*"(?:[^"\\]|\\.)*"', inner).end()
        return f"{name}({inner[:end]}, {trait}{inner[end:]})"
    if name == "@Test" and re.match(r"\s*arguments:", inner):  # traits come before arguments
        return f"{name}({trait}, {inner})"
    return f"{name}({inner}, {trait})"


def test_attribute_before(text, position):
    """The span of the `@Test` attribute that the function at `position` carries."""
    start = text.rfind("@Test", 0, position)
    if start < 0:
        return None
    i = start + len("@Test")
    if i < len(text) and text[i] == "(":
        depth, j, in_string = 0, i, False
        while j < len(text):
            c = text[j]
            if in_string:
                if c == "\\":
                    j += 1
                elif c == '"':
                    in_string = False
            elif c == '"':
                in_string = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return start, j + 1
            j += 1
        return None
    return start, i


def apply(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    original = text
    # Suites first, from the last (offsets stay valid before the edit point).
    tagged_whole = {}
    for start, end, m in reversed(suites(text)):
        want = wanted_suite_tags(m.group(2), text[start:end])
        attribute = "@Suite" + (m.group(1) or "")
        if want and not want <= tags_of(attribute):
            text = text[:start] + with_tags(attribute, want) + text[start + len(attribute):]
        tagged_whole[m.group(2)] = ".integration" in (want | tags_of(attribute))
    # Then suffixed tests, from the last.
    spans = [(s, e, m.group(2)) for s, e, m in suites(text)]
    for m in reversed(list(SUFFIXED.finditer(text))):
        suite = next((name for s, e, name in spans if s <= m.start() < e), None)
        name_start = m.start(1)
        text = text[:name_start] + m.group(1) + text[name_start + len(m.group(1)) + len("Integration"):]
        if suite is not None and tagged_whole.get(suite):
            continue
        span = test_attribute_before(text, m.start())
        if span:
            attribute = text[span[0]:span[1]]
            text = text[:span[0]] + with_tags(attribute, {".integration"}) + text[span[1]:]
    if text != original:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return True
    return False


def check(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    problems = []
    for m in SUFFIXED.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        problems.append(f"{path}:{line}: {m.group(1)}Integration: tag the test `.integration` instead of naming it so")
    for start, _, m in suites(text):
        if m.group(2).endswith("IntegrationTests") and ".integration" not in tags_of(m.group(1)):
            line = text.count("\n", 0, start) + 1
            problems.append(f"{path}:{line}: {m.group(2)} has no `.tags(.integration)`")
    return problems


def main(argv):
    mode = "--apply" if "--apply" in argv else "--check"
    folders = [a for a in argv if not a.startswith("--")] or ["Tests"]
    files = sorted(os.path.join(root, name) for folder in folders for root, _, names in os.walk(folder)
                   for name in names if name.endswith(".swift"))
    if mode == "--apply":
        changed = [f for f in files if apply(f)]
        print(f"test_tags: {len(changed)} files tagged")
        return 0
    problems = [p for f in files for p in check(f)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("test_tags: run Scripts/test_tags.py --apply", file=sys.stderr)
        return 1
    print(f"test_tags: {len(files)} files, tags not names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
