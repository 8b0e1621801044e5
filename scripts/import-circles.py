#!/usr/bin/env python3
# Import circles between top-level modules of a crate: `use crate::x` outside tests and doc
# comments, strongly connected groups (Tarjan) and their elementary cycles.
# Usage: scripts/import-circles.py [src]   (or crates/helm/src); exit 1 when there is a circle.
import os, re, sys, itertools
root = sys.argv[1] if len(sys.argv) > 1 else "src"  # src dir of a crate
mods = {}
def modname(path):
    rel = os.path.relpath(path, root)[:-3]
    parts = rel.split(os.sep)
    if parts[-1] in ("mod", "lib", "main"): parts = parts[:-1]
    return parts
edges = {}
for dp, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith(".rs"): continue
        p = os.path.join(dp, f)
        m = modname(p)
        if not m: continue
        top = m[0]
        text = open(p, encoding="utf8", errors="replace").read()
        # drop #[cfg(test)] modules roughly: cut from '#[cfg(test)]' to end
        if f == "test_utils.rs": continue
        i = text.find("#[cfg(test)]")
        if i >= 0: text = text[:i]
        text = "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("//"))
        for um in re.finditer(r"crate::([a-z_0-9]+)", text):
            t = um.group(1)
            if os.path.exists(os.path.join(root, t + ".rs")) or os.path.isdir(os.path.join(root, t)):
                if t != top: edges.setdefault(top, set()).add(t)
# SCCs (Tarjan)
idx = {}; low = {}; st = []; on = set(); sccs = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
nodes = set(edges) | {t for s in edges.values() for t in s}
for v in sorted(nodes):
    if v not in idx: sc(v)
print("top-level modules:", len(nodes), "edges:", sum(len(s) for s in edges.values()))
print("strongly connected groups (circles):", len(sccs))
for s in sccs: print("  ", s)
# elementary cycles within SCCs (small graphs: plain DFS from the smallest node of each cycle)
cyc = []
order = sorted(nodes)
for s in order:
    def dfs(v, path, seen):
        for w in edges.get(v, ()):
            if w == s: cyc.append(path[:])
            elif w > s and w not in seen:
                seen.add(w); path.append(w); dfs(w, path, seen); path.pop(); seen.discard(w)
    dfs(s, [s], {s})
print("elementary cycles:", len(cyc))
for c2 in cyc[:20]: print("   ", " -> ".join(c2 + [c2[0]]))
# A circle fails CI: data flows one way (load → model → rules → findings → report).
sys.exit(1 if sccs else 0)
