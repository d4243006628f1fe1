#!/usr/bin/env python3
"""The structure rules of docs/architecture.md, checked: no source file over 800 lines, no
function over 120 lines, no include cycle between the files of a folder (a file is its .c and
.h together) unless listed in ALLOWED_CYCLES with the reason, and one include-guard style
(BARRAGE_FOLDER_FILE_H, from the header's path). Exit 1 with one line per finding. Run by
`make structure-check` (part of `make test`)."""
import glob
import os
import re
import sys

FOLDERS = ["agent", "common", "controller", "reports", "servers", "tests/unit", "tests/fuzz"]
MAX_FILE = 800
MAX_FUNC = 120
# "folder": {frozenset of modules}: why the cycle is deliberate.
ALLOWED_CYCLES = {}


def sources(folder):
    return sorted(glob.glob(f"{folder}/*.c") + glob.glob(f"{folder}/*.h") + glob.glob(f"{folder}/*.inc"))


def functions(path, lines):
    """(name, first line, length) of each function: a body opened by '{' in column 0."""
    out = []
    start = None
    for i, line in enumerate(lines):
        if line.startswith("{") and start is None:
            sig = []
            j = i - 1
            while j >= 0 and lines[j].strip() and not lines[j].rstrip().endswith((";", "}", "*/")) \
                    and not lines[j].startswith("#"):
                sig.insert(0, lines[j])
                j -= 1
            m = re.search(r"(\w+)\s*\(", " ".join(sig))
            start, name = i, (m.group(1) if m else "?")
        elif line.startswith("}") and start is not None:
            out.append((name, start, i - start + 1))
            start = None
    return out


def include_graph(folder):
    edges = {}
    for f in sources(folder):
        mod = os.path.splitext(os.path.basename(f))[0]
        edges.setdefault(mod, set())
        for line in open(f, errors="replace"):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            inc = m.group(1)
            if os.path.dirname(inc) not in (folder, "") and not inc.startswith(folder + "/"):
                continue
            dep = os.path.splitext(os.path.basename(inc))[0]
            if dep != mod:
                edges[mod].add(dep)
    return edges


def cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    findings = []
    for folder in FOLDERS:
        for f in sources(folder):
            lines = open(f, errors="replace").read().split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            if len(lines) > MAX_FILE:
                findings.append(f"{f}: {len(lines)} lines (at most {MAX_FILE})")
            if f.endswith(".h"):
                want = "BARRAGE_" + re.sub(r"[^A-Za-z0-9]", "_", f[:-2]).upper() + "_H"
                text = "\n".join(lines)
                if not re.search(rf"^#ifndef {want}\n#define {want}\n", text, flags=re.M):
                    findings.append(f"{f}: include guard is not {want}")
                continue
            for name, first, n in functions(f, lines):
                if n > MAX_FUNC:
                    findings.append(f"{f}:{first + 1}: function {name} is {n} lines (at most {MAX_FUNC})")
        for comp in cycles(include_graph(folder)):
            if comp in ALLOWED_CYCLES.get(folder, {}):
                continue
            findings.append(f"{folder}/: include cycle between {', '.join(sorted(comp))}")
    for line in findings:
        print(line)
    if findings:
        print(f"structure-check: {len(findings)} finding(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
