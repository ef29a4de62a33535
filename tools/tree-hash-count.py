#!/usr/bin/env python3
"""Counts the internal nodes of SPEC v2's state tree that one block's changes rehash, at several sizes.

Run:  python3 tools/tree-hash-count.py 100000 1000000 10000000   [--changes 50000] [--new 0.3333] [--seed 1]

The tree is the SPEC's binary tree over hashed keys, with a subtree of one leaf collapsed into that
leaf, so its internal nodes are exactly the key prefixes that two or more leaves share. A block that
changes (or creates) a leaf changes the hash of every internal node above it: the prefixes of its key
down to the longest prefix it shares with a neighbour in key order. Each such node is one hash of
0x01 || L || R (65 bytes: two SHA-256 compressions) that any implementation must compute, so the count
bounds the work of a block's update from below, whatever the implementation. Keys are uniform random
(as hashed keys are); 64 bits of each are enough (two of 10^8 keys share all 64 with a chance of
about 3 in 10,000). Each change also costs the same few compressions at every size (--per-change),
so the last column is the least ratio of update times between two sizes that hashing allows when
the update is bound by its hashing (fewer, say keys kept from before, would only raise it). Like the
StateTreeUpdate benchmark: N accounts, then a block changing `changes` of them, a share of them new.
Needs only the standard library (about 15 s and 1.5 GB at 10^7).
"""
import argparse
import bisect
import random


def rehashed_nodes(accounts, changes, new_share, seed):
    rnd = random.Random(seed)
    keys = [rnd.getrandbits(64) for _ in range(accounts)]
    created = [rnd.getrandbits(64) for _ in range(int(changes * new_share))]
    changed = rnd.sample(keys, changes - len(created)) + created
    leaves = sorted(keys + created)
    nodes = set()
    for k in changed:
        i = bisect.bisect_left(leaves, k)
        shared = 0  # the longest prefix k shares with another leaf: its internal nodes are at depths 0..shared
        if i > 0:
            shared = max(shared, 64 - (k ^ leaves[i - 1]).bit_length())
        if i + 1 < len(leaves):
            shared = max(shared, 64 - (k ^ leaves[i + 1]).bit_length())
        for depth in range(shared + 1):
            nodes.add((depth, k >> (64 - depth) if depth else 0))
    return len(nodes)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("accounts", type=int, nargs="+")
    ap.add_argument("--changes", type=int, default=50_000)
    ap.add_argument("--new", type=float, default=1 / 3, help="share of the changes that create a leaf")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-change", type=int, default=5,
                    help="compressions each change needs whatever the size: its key H(0x01 || address), "
                         "its value H(data) and its leaf H(0x00 || k || H(data))")
    a = ap.parse_args()
    base = None
    for n in a.accounts:
        nodes = rehashed_nodes(n, a.changes, a.new, a.seed)
        total = 2 * nodes + a.per_change * a.changes
        base = base or total
        print(f"{n:>12,} accounts: {nodes:>9,} internal nodes rehashed ({nodes / a.changes:.2f} a change), "
              f"{total:,} compressions with the leaves' own; {total / base:.2f}x the first size")


if __name__ == "__main__":
    main()
