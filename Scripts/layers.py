#!/usr/bin/env python3
"""Layer check: the folders of a Swift module must not refer to each other both ways.

Usage: Scripts/layers.py [--graph] MODULE_FOLDER...   (e.g. Sources/HeraldCore)

For each module folder, every Swift file belongs to the folder directly under the module
(`Sources/HeraldCore/Message/DKIM/DKIMSigner.swift` belongs to `Message`; a file directly in the
module folder belongs to `.`). A folder *uses* another when one of its files names a type, or a
top-level function, constant or variable, that a file of the other folder declares. Names are
read from the source with comments and string literals left out (an interpolation's expression
is kept: it is code). A cycle among the folders (two folders using each other, directly or
through others) fails the check, with the names that make each edge, so the fix is obvious.

`--graph` prints the folders in layer order (each uses only folders above it) and the edges.
Exit status: 0 layered, 1 a cycle, 2 usage. No dependencies beyond Python 3's standard library.
"""

import os
import re
import sys
from collections import defaultdict

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A declaration at the top level of a file (column 0), after attributes and modifiers.
MODIFIERS = r"(?:(?:@[\w.]+(?:\([^)]*\))?|public|internal|package|fileprivate|private|final|open|indirect|nonisolated|(?:private|fileprivate|internal|public|package)\(set\))\s+)*"
TYPE_DECL = re.compile(r"^" + MODIFIERS + r"(?:struct|class|enum|protocol|actor|typealias)\s+([A-Za-z_]\w*)", re.M)
STRING_OPEN = re.compile(r'(#*)("""|")')
VALUE_DECL = re.compile(r"^" + MODIFIERS + r"(?:func|let|var)\s+([A-Za-z_]\w*)", re.M)


def strip_comments_and_strings(text):
    """The source with comments and string literals blanked (newlines kept), interpolations kept."""
    out = []
    i, n = 0, len(text)
    # Stack of string contexts: (pounds, multiline, paren depth of the open interpolation or None).
    stack = []
    while i < n:
        c = text[i]
        in_string = bool(stack) and stack[-1][2] is None
        if in_string:
            pounds, multiline, _ = stack[-1]
            close = ('"""' if multiline else '"') + "#" * pounds
            if text.startswith(close, i):
                stack.pop()
                i += len(close)
                continue
            escape = "\\" + "#" * pounds
            if text.startswith(escape, i):
                j = i + len(escape)
                if j < n and text[j] == "(":
                    stack[-1] = (pounds, multiline, 0)
                    out.append(" ")
                    i = j + 1
                    continue
                i = j + 1  # an escaped character
                continue
            if c == "\n":
                out.append("\n")
            i += 1
            continue
        # Code (top level or inside an interpolation).
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
            continue
        m = STRING_OPEN.match(text, i)
        if m:
            stack.append((len(m.group(1)), m.group(2) == '"""', None))
            i = m.end()
            continue
        if stack and stack[-1][2] is not None:
            pounds, multiline, depth = stack[-1]
            if c == "(":
                stack[-1] = (pounds, multiline, depth + 1)
            elif c == ")":
                if depth == 0:
                    stack[-1] = (pounds, multiline, None)
                    i += 1
                    continue
                stack[-1] = (pounds, multiline, depth - 1)
        out.append(c)
        i += 1
    return "".join(out)


def folder_of(module, path):
    parts = os.path.relpath(path, module).split(os.sep)
    return parts[0] if len(parts) > 1 else "."


def analyse(module):
    """(folders, edges): edges[a][b] = the names a uses from b."""
    sources = {}
    for root, _, files in os.walk(module):
        for name in sorted(files):
            if name.endswith(".swift"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as handle:
                    sources[path] = strip_comments_and_strings(handle.read())
    declared = {}  # name -> folder
    clashes = set()
    for path, code in sources.items():
        folder = folder_of(module, path)
        for pattern in (TYPE_DECL, VALUE_DECL):
            for name in pattern.findall(code):
                if declared.setdefault(name, folder) != folder:
                    clashes.add(name)
    for name in clashes:  # declared in two folders (overloads): not a reliable edge
        del declared[name]
    folders = sorted({folder_of(module, path) for path in sources})
    edges = defaultdict(lambda: defaultdict(set))
    for path, code in sources.items():
        folder = folder_of(module, path)
        for name in set(IDENTIFIER.findall(code)):
            owner = declared.get(name)
            if owner is not None and owner != folder:
                edges[folder][owner].add(name)
    return folders, edges


def cycles(folders, edges):
    """Strongly connected components of more than one folder (Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in folders:
        if v not in index:
            visit(v)
    return found


def smaller(edges, a, b):
    """The direction of a two-way pair that names fewer things, with those names."""
    x, y = (a, b) if len(edges[a][b]) <= len(edges[b][a]) else (b, a)
    return f"{x} -> {y} ({', '.join(sorted(edges[x][y])[:6])})"


def layer_order(folders, edges):
    """Folders bottom-up: each after every folder it uses (ties alphabetical)."""
    placed, order = set(), []
    while len(order) < len(folders):
        ready = [f for f in folders if f not in placed and all(d in placed for d in edges[f])]
        if not ready:
            return order + sorted(set(folders) - placed)
        for f in sorted(ready):
            placed.add(f)
            order.append(f)
    return order


def main(argv):
    graph = "--graph" in argv
    modules = [a for a in argv if a != "--graph"]
    if not modules:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    status = 0
    for module in modules:
        if not os.path.isdir(module):
            print(f"layers: {module}: not a folder", file=sys.stderr)
            return 2
        folders, edges = analyse(module)
        if graph:
            print(f"{module}, bottom-up:", flush=True)
            for folder in layer_order(folders, edges):
                uses = ", ".join(sorted(edges[folder])) or "-"
                print(f"  {folder:<12} uses {uses}", flush=True)
        for component in cycles(folders, edges):
            status = 1
            print(f"layers: {module}: the folders {', '.join(component)} refer to each other in a cycle:", file=sys.stderr)
            for a in component:  # the pairs that refer to each other directly: most often the fix
                for b in component:
                    if a < b and b in edges[a] and a in edges[b]:
                        print(f"  both ways: {a} <-> {b}, the smaller side: {smaller(edges, a, b)}", file=sys.stderr)
            for a in component:
                for b in component:
                    if b in edges[a]:
                        names = sorted(edges[a][b])
                        more = f" (+{len(names) - 6} more)" if len(names) > 6 else ""
                        print(f"  {a} -> {b}: {', '.join(names[:6])}{more}", file=sys.stderr)
        if status == 0 and not graph:
            print(f"layers: {module}: {len(folders)} folders, no cycle")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
