using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// The state tree of SPEC section 6: a binary sparse Merkle tree over 256-bit keys in which a
/// subtree holding one leaf is that leaf (at whatever depth), an empty one is <c>ZERO</c>, and any
/// other is <c>H(0x01 || left || right)</c>.
/// <para><b>Layout.</b> The top of the tree, depths 0 to <see cref="TopDepth"/> (D), is kept dense:
/// every node's hash and kind (empty, one leaf, more) in one array per depth. Below depth D the
/// leaves sit in 2^D buckets by their first D bits, each a sorted array; a bucket's subtree is
/// rehashed from its leaves' hashes whenever one of them changes. D is chosen so that a bucket
/// holds 2 to 4 leaves on average (and changed as the tree grows or shrinks 4-fold), at most 2^24
/// buckets: memory is about 96 bytes a leaf plus 66 bytes a bucket, and a block's update costs, per
/// changed leaf, its leaf hash, its bucket's few internal nodes and the dense path above it, shared
/// with every other changed leaf's path.</para>
/// <para><b>An update</b> (<see cref="Apply(State.ChangeSet)"/>) is planned on the host: the new contents
/// of each touched bucket (insertions split a bucket's subtree, deletions let a sibling collapse
/// upward, both by construction), and which dense nodes change and how (a node over one leaf takes
/// that leaf's hash; over none, ZERO; else a hash). The hashes themselves are a <see cref="HashPlan"/>
/// that a runner executes wave by wave: SHA-256 lanes on all cores, or kernels on a device.</para>
/// Not thread-safe.
/// </summary>
internal sealed class SparseMerkleTree : IStateCommitment, ITreeView
{
    internal const byte KindEmpty = 0, KindSingle = 1, KindMulti = 2;
    /// <summary>The deepest dense level the tree uses (2^25 nodes: 1.1 GB of hashes).</summary>
    public const int MaxTopDepth = 24;

    private IHashPlanRunner _runner;
    private int _top;
    private byte[][] _hash = [];
    private byte[][] _kind = [];
    private BucketTable _buckets = new ArrayBuckets(0);
    private long _count;
    private int _layout;

    /// <summary>Held by every update, commit and proof, and by whoever reads through an <see cref="ITreeView"/>.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>An empty tree; <paramref name="runner"/> executes its hashes (the host's SHA-256 lanes by default).</summary>
    public SparseMerkleTree(IHashPlanRunner? runner = null)
    {
        _runner = runner ?? CpuHashPlanRunner.Instance;
        Allocate(0);
    }

    /// <summary>Leaves in the tree.</summary>
    public long Count => _count;

    /// <summary>Changes each time the buckets are re-laid (a delta made before is recomputed, not installed).</summary>
    internal int LayoutVersion => _layout;

    /// <summary>D: the depth of the buckets, and of the dense top's last level.</summary>
    public int TopDepth => _top;

    /// <inheritdoc/>
    public Hash32 Root => new(_hash[0].AsSpan(0, 32));

    SparseMerkleTree ITreeView.Base => this;
    int ITreeView.Layout => _layout;
    TreeLeaf[]? ITreeView.Bucket(uint b) => _buckets.Get(b);
    byte ITreeView.Kind(int depth, uint index) => _kind[depth][index];
    Hash32 ITreeView.Node(int depth, uint index) => new(_hash[depth].AsSpan((int)(32 * index), 32));

    /// <summary>The bucket depth for <paramref name="n"/> leaves: 2 to 4 leaves a bucket on average (a bucket's rehash costs about 1.4 hashes a leaf, a dense level one a path).</summary>
    internal static int TopFor(long n)
    {
        int d = 0;
        while (d < MaxTopDepth && (n >> d) > 4) d++;
        return d;
    }

    /// <summary>
    /// A tree whose buckets live in a store (<paramref name="buckets"/>), laid out at depth
    /// <paramref name="top"/> for good: its dense level D (the bucket roots and kinds, as the store
    /// kept them) is given, and the levels above are hashed here on all cores.
    /// </summary>
    /// <remarks>The tree takes <paramref name="bucketRoots"/> and <paramref name="bucketKinds"/> as its level D (not copied: at 2^24 buckets a copy is half a gigabyte more while opening); the caller no longer changes them.</remarks>
    internal static SparseMerkleTree Open(int top, BucketTable buckets, long count, byte[] bucketRoots, byte[] bucketKinds, IHashPlanRunner? runner = null)
    {
        if (top is < 0 or > MaxTopDepth) throw new ArgumentOutOfRangeException(nameof(top), top, $"0..{MaxTopDepth}");
        if (bucketRoots.Length != 32 << top || bucketKinds.Length != 1 << top) throw new ArgumentException($"a tree of depth {top} has {1 << top} bucket roots and kinds");
        var t = new SparseMerkleTree(runner);
        t.Allocate(top, bucketsInMemory: false, bucketLevel: false);
        t._buckets = buckets;
        t._count = count;
        t._hash[top] = bucketRoots;
        t._kind[top] = bucketKinds;
        for (int d = top - 1; d >= 0; d--) t.HashLevel(d);
        return t;
    }

    /// <summary>The bucket roots (32 bytes each) and kinds of level D: what a store keeps of the dense top.</summary>
    internal (byte[] Roots, byte[] Kinds) BucketLevel => (_hash[_top], _kind[_top]);

    /// <summary>
    /// Computes the roots of the given buckets from their leaves as the bucket table holds them now, and
    /// writes them into level D (a store replaying blocks committed after its last copy of level D);
    /// the levels above are not rehashed.
    /// </summary>
    internal static void RootsOf(int top, IReadOnlyList<(uint Bucket, TreeLeaf[]? Leaves)> buckets, byte[] roots, byte[] kinds)
    {
        var plan = new HashPlan();
        var slots = new List<(uint, int, byte)>();
        foreach (var (b, leaves) in buckets) slots.Add(PlanBucket(plan, b, leaves, top));
        RunAndStore(plan, slots, roots, kinds);
    }

    /// <summary>
    /// As above for buckets laid out one after another in <paramref name="sorted"/> (a bulk build's
    /// sorted leaves): each bucket is a range of it, not an array of its own.
    /// </summary>
    internal static void RootsOf(int top, TreeLeaf[] sorted, IReadOnlyList<(uint Bucket, int Start, int Count)> buckets, byte[] roots, byte[] kinds)
    {
        var plan = new HashPlan();
        var slots = new List<(uint, int, byte)>();
        foreach (var (b, start, count) in buckets) slots.Add(PlanBucket(plan, b, sorted.AsSpan(start, count), top));
        RunAndStore(plan, slots, roots, kinds);
    }

    private static (uint, int, byte) PlanBucket(HashPlan plan, uint b, ReadOnlySpan<TreeLeaf> leaves, int top)
    {
        if (leaves.IsEmpty) return (b, HashPlan.ZeroSlot, KindEmpty);
        var s = new int[leaves.Length];
        for (int k = 0; k < leaves.Length; k++) s[k] = plan.Constant(leaves[k].LeafHash);
        var (slot, kind) = PlanSubtree(plan, leaves, s, 0, leaves.Length, top);
        return (b, slot, kind);
    }

    private static void RunAndStore(HashPlan plan, List<(uint, int, byte)> slots, byte[] roots, byte[] kinds)
    {
        CpuHashPlanRunner.Instance.Run(plan);
        foreach (var (b, slot, kind) in slots)
        {
            plan.Slot(slot).CopyTo(roots.AsSpan((int)(32 * b), 32));
            kinds[b] = kind;
        }
    }

    /// <summary>A tree of <paramref name="leaves"/> (distinct keys, any order; their leaf hashes are computed here), built on all cores.</summary>
    public static SparseMerkleTree Build(TreeLeaf[] leaves, IHashPlanRunner? runner = null)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        HashLeaves(leaves);
        var t = new SparseMerkleTree(runner);
        t.Rebuild(leaves, TopFor(leaves.Length));
        return t;
    }

    /// <inheritdoc/>
    public Hash32 Apply(State.ChangeSet changes) => Apply(TreeUpdates.From(changes));

    /// <summary>Applies leaf updates sorted by key (distinct keys); returns the new root.</summary>
    /// <exception cref="InvalidOperationException">A removal of a key the tree does not hold; nothing changes then.</exception>
    public Hash32 Apply(ReadOnlySpan<TreeUpdate> updates) => Apply(updates, null);

    /// <summary>As <see cref="Apply(ReadOnlySpan{TreeUpdate})"/>, with the hashes run by <paramref name="runner"/> (null: the tree's own).</summary>
    public Hash32 Apply(ReadOnlySpan<TreeUpdate> updates, IHashPlanRunner? runner)
    {
        using var gate = Gate.EnterScope();
        var saved = _runner;
        if (runner is not null) _runner = runner;
        try { return ApplyUpdates(updates); }
        finally { _runner = saved; }
    }

    private Hash32 ApplyUpdates(ReadOnlySpan<TreeUpdate> updates)
    {
        if (updates.Length == 0) return Root;
        for (int i = 1; i < updates.Length; i++)
            if (updates[i - 1].Key.CompareTo(updates[i].Key) >= 0) throw new ArgumentException("tree updates must be sorted by key without repeats", nameof(updates));
        if (_runner is CpuHashPlanRunner)
        {
            var starts = BucketStarts(updates);
            ApplyInPlace(updates, starts);
        }
        else
        {
            var pending = Plan(this, updates);
            _runner.Run(_plan);
            Commit(pending);
        }
        RelayoutIfNeeded();
        return Root;
    }

    /// <summary>
    /// The tree after <paramref name="updates"/> (sorted, distinct keys) on top of <paramref name="parent"/>
    /// (this tree, or a delta over it), computed without changing anything: the block's root and its
    /// changes as a <see cref="TreeDelta"/>, which reads as the new tree and which
    /// <see cref="Commit(TreeDelta)"/> installs once the parent is committed.
    /// </summary>
    /// <exception cref="InvalidOperationException">A removal of a key the parent does not hold.</exception>
    public TreeDelta Preview(ITreeView parent, ReadOnlySpan<TreeUpdate> updates, IHashPlanRunner? runner)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (!ReferenceEquals(parent.Base, this)) throw new ArgumentException("the parent view is not of this tree", nameof(parent));
        for (int i = 1; i < updates.Length; i++)
            if (updates[i - 1].Key.CompareTo(updates[i].Key) >= 0) throw new ArgumentException("tree updates must be sorted by key without repeats", nameof(updates));
        using var gate = Gate.EnterScope();
        // A parent made before a re-layout is brought to this layout first (its buckets are read through it).
        _ = parent.Bucket(0);
        var nodes = new Dictionary<uint, (Hash32, byte)>[_top + 1];
        if (updates.Length == 0)
        {
            for (int d = 0; d <= _top; d++) nodes[d] = [];
            return new TreeDelta(parent, [], _layout, [], nodes, parent.Count, parent.Root);
        }
        var saved = _runner;
        if (runner is not null) _runner = runner;
        try
        {
            var pending = Plan(parent, updates);
            // Sized once: grown entry by entry, a block's dictionaries (a quarter of a million nodes at
            // 10^7 accounts) were rehashed into fresh large arrays several times, a quarter of the
            // preview's time in page faults.
            for (int d = 0; d <= _top; d++) nodes[d] = new Dictionary<uint, (Hash32, byte)>(pending.Dirty[d].Count);
            var buckets = new Dictionary<uint, TreeLeaf[]?>(pending.Buckets.Length);
            _runner.Run(_plan);
            var values = _plan.Values;
            foreach (ref readonly var c in pending.Buckets.AsSpan())
            {
                for (int h = c.HashedFrom; h < c.HashedTo; h++)
                {
                    var (position, slot) = pending.Hashed[h];
                    c.Scratch[position].LeafHash = new Hash32(values.AsSpan(32 * slot, 32));
                }
                buckets[c.Bucket] = c.Length == 0 ? null : c.Leaves.ToArray();
            }
            for (int d = 0; d <= _top; d++)
                foreach (var (i, slot, kind) in pending.Dirty[d]) nodes[d][i] = (new Hash32(values.AsSpan(32 * slot, 32)), kind);
            var root = nodes[0].TryGetValue(0, out var r) ? r.Item1 : parent.Root;
            return new TreeDelta(parent, updates.ToArray(), _layout, buckets, nodes, pending.Count, root);
        }
        finally { _runner = saved; }
    }

    /// <summary>
    /// Installs a delta whose parent is the committed tree (its root is this tree's), making its state
    /// the committed one. A delta made before a re-layout of the buckets is recomputed from its
    /// updates instead (same root). After the install the buckets may be re-laid.
    /// </summary>
    /// <exception cref="InvalidOperationException">The delta is not of this tree, or its parent is not the committed state.</exception>
    public Hash32 Commit(TreeDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        using var gate = Gate.EnterScope();
        if (!ReferenceEquals(delta.Base, this)) throw new InvalidOperationException("a tree delta of another tree");
        if (delta.ParentRoot != Root) throw new InvalidOperationException($"a tree delta made on root {delta.ParentRoot} cannot be committed on root {Root}");
        if (delta.Layout != _layout)
        {
            ApplyUpdates(delta.Updates);
            if (Root != delta.Root) throw new InvalidOperationException($"a tree delta recomputed gives root {Root}, not {delta.Root}");
            delta.Committed();
            return Root;
        }
        var (buckets, nodes) = delta.Contents;
        foreach (var (b, leaves) in buckets) _buckets.Adopt(b, leaves);
        for (int d = 0; d <= _top; d++)
        {
            var level = _hash[d];
            var kinds = _kind[d];
            foreach (var (i, (hash, kind)) in nodes[d])
            {
                hash.WriteTo(level.AsSpan((int)(32 * i), 32));
                kinds[i] = kind;
            }
        }
        _count = delta.Count;
        delta.Committed();
        RelayoutIfNeeded();
        return Root;
    }

    /// <summary>Re-lays the buckets of a tree in memory when their average left 1..8 (a 4-fold growth or shrinkage).</summary>
    private void RelayoutIfNeeded()
    {
        int want = TopFor(_count);
        if (_buckets.CanRelayout && (want > _top + 1 || want < _top - 1)) Rebuild(AllLeaves(), want);
    }

    /// <summary>
    /// A touched bucket's new contents, in a scratch buffer until the commit copies them into the
    /// bucket (in place when its size is unchanged); its leaves' hashes are filled in once the plan ran.
    /// </summary>
    private struct BucketChange
    {
        public uint Bucket;
        public TreeLeaf[] Scratch;
        public int Offset, Length;
        public int HashedFrom, HashedTo; // its entries in the pending leaf-hash list
        public int RootSlot;
        public byte Kind;

        public readonly Span<TreeLeaf> Leaves => Scratch.AsSpan(Offset, Length);
    }

    /// <summary>What one planning thread reuses from block to block: its plan, its scratch for new bucket contents, its lists.</summary>
    private sealed class ChunkState
    {
        public readonly HashPlan Plan = new();
        public TreeLeaf[] Scratch = new TreeLeaf[1024];
        public int Used;
        public readonly List<(int Position, int Slot)> Hashed = [];
        public int[] Slots = new int[64];
        public TreeLeaf[]?[] Olds = new TreeLeaf[]?[64];
    }

    private readonly ChunkState _main = new();
    private HashPlan _plan => _main.Plan;
    private ChunkState[] _chunks = [];

    /// <summary>The touched buckets' new contents and the dense nodes that change, waiting for the plan's hashes.</summary>
    private sealed class Pending
    {
        public BucketChange[] Buckets = [];
        // Leaves whose hash a job of the main plan computes: offset in the main scratch, and the job's slot.
        public List<(int Position, int Slot)> Hashed = [];
        // Per dense level, the nodes that change: index, slot of the new hash, kind.
        public readonly List<(uint Index, int Slot, byte Kind)>[] Dirty;
        public long Count;

        public Pending(int top)
        {
            Dirty = new List<(uint, int, byte)>[top + 1];
            for (int d = 0; d <= top; d++) Dirty[d] = [];
        }
    }

    /// <summary>Updates touching fewer buckets than this are planned on one thread, into one plan.</summary>
    private const int ParallelBuckets = 4096;

    /// <summary>
    /// Plans the update: the touched buckets (merged with their updates and planned into
    /// <see cref="_plan"/>; with many and the host's runner, in chunks on all cores, each chunk's plan
    /// run at once so that only its bucket roots enter the main plan), then the dense levels.
    /// Changes nothing in the tree.
    /// </summary>
    private Pending Plan(ITreeView view, ReadOnlySpan<TreeUpdate> updates)
    {
        _plan.Clear();
        var pending = new Pending(_top) { Count = view.Count };
        var starts = BucketStarts(updates);
        int touched = starts.Count - 1;
        var changes = new BucketChange[touched];
        pending.Buckets = changes;
        if (touched < ParallelBuckets || _runner is not CpuHashPlanRunner)
        {
            var main = _main;
            main.Used = 0;
            main.Hashed.Clear();
            pending.Hashed = main.Hashed;
            long delta = 0;
            for (int t = 0; t < touched; t++)
                changes[t] = PlanBucket(view.Bucket(updates[starts[t]].Key.Prefix(_top)), _plan, updates[starts[t]..starts[t + 1]], main, ref delta);
            pending.Count += delta;
            foreach (ref readonly var c in changes.AsSpan()) pending.Dirty[_top].Add((c.Bucket, c.RootSlot, c.Kind));
        }
        else
        {
            PlanBucketsInParallel(view, updates, starts, pending);
        }
        PlanDense(view, pending);
        return pending;
    }

    /// <summary>Where each touched bucket's updates start in the sorted <paramref name="updates"/> (and their end); the buckets are read ahead.</summary>
    private List<int> BucketStarts(ReadOnlySpan<TreeUpdate> updates)
    {
        var starts = new List<int>();
        uint previous = 0;
        for (int i = 0; i < updates.Length; i++)
        {
            uint b = updates[i].Key.Prefix(_top);
            if (i == 0 || b != previous) starts.Add(i);
            previous = b;
        }
        starts.Add(updates.Length);
        var touched = new uint[starts.Count - 1];
        for (int t = 0; t < touched.Length; t++) touched[t] = updates[starts[t]].Key.Prefix(_top);
        _buckets.Prefetch(touched);
        return starts;
    }

    /// <summary>
    /// Chunks of touched buckets, each planned and hashed on one core in a plan of its own; their
    /// leaves' hashes are filled in and their roots enter the main plan as constants.
    /// </summary>
    private void PlanBucketsInParallel(ITreeView view, ReadOnlySpan<TreeUpdate> updates, List<int> starts, Pending pending)
    {
        var roots = HashBucketsInChunks(view, updates, starts, pending);
        var changes = pending.Buckets;
        for (int t = 0; t < changes.Length; t++)
        {
            ref var ch = ref changes[t];
            ch.RootSlot = ch.Kind == KindEmpty ? HashPlan.ZeroSlot : _plan.Constant(roots.AsSpan(32 * t, 32));
            pending.Dirty[_top].Add((ch.Bucket, ch.RootSlot, ch.Kind));
        }
    }

    /// <summary>
    /// The touched buckets in chunks on all cores, each chunk planned and hashed in a plan of its own:
    /// their new contents with their leaves' hashes filled in (<c>pending.Buckets</c>), and their roots
    /// (32 bytes per touched bucket, in order).
    /// </summary>
    private byte[] HashBucketsInChunks(ITreeView view, ReadOnlySpan<TreeUpdate> updates, List<int> starts, Pending pending)
    {
        int touched = starts.Count - 1;
        int chunks = Math.Clamp(touched / 1024, 1, 64);
        var changes = pending.Buckets;
        var roots = new byte[32 * touched];
        long delta = 0;
        Exception? failure = null;
        var array = updates.ToArray();
        if (_chunks.Length < chunks)
        {
            int had = _chunks.Length;
            Array.Resize(ref _chunks, chunks);
            for (int c = had; c < chunks; c++) _chunks[c] = new ChunkState();
        }
        Parallel.For(0, chunks, c =>
        {
            try
            {
                var local = _chunks[c];
                int from = (int)((long)touched * c / chunks), to = (int)((long)touched * (c + 1) / chunks);
                local.Plan.Clear();
                local.Hashed.Clear();
                local.Used = 0;
                long d = 0;
                // The buckets lie scattered over memory the size of the state: all of the chunk's are
                // looked up in one tight loop and their leaves' loads started, before any is planned,
                // so that the memory's latency is paid for many at once rather than one bucket at a time.
                if (local.Olds.Length < to - from) local.Olds = new TreeLeaf[]?[Math.Max(to - from, 2 * local.Olds.Length)];
                var olds = local.Olds;
                for (int t = from; t < to; t++) olds[t - from] = view.Bucket(array[starts[t]].Key.Prefix(_top));
                for (int t = from; t < to; t++) CacheHints.Leaves(olds[t - from]);
                for (int t = from; t < to; t++)
                    changes[t] = PlanBucket(olds[t - from], local.Plan, array.AsSpan(starts[t], starts[t + 1] - starts[t]), local, ref d);
                olds.AsSpan(0, to - from).Clear();
                Interlocked.Add(ref delta, d);
                CpuHashPlanRunner.Instance.Run(local.Plan);
                for (int t = from; t < to; t++)
                {
                    ref var ch = ref changes[t];
                    // Into the bucket's own scratch array: a later bucket of the chunk may have grown the scratch.
                    for (int h = ch.HashedFrom; h < ch.HashedTo; h++)
                    {
                        var (position, slot) = local.Hashed[h];
                        ch.Scratch[position].LeafHash = new Hash32(local.Plan.Slot(slot));
                    }
                    ch.HashedFrom = ch.HashedTo = 0;
                    local.Plan.Slot(ch.RootSlot).CopyTo(roots.AsSpan(32 * t, 32));
                }
            }
            catch (Exception e) { failure = e; }
        });
        if (failure is not null) throw failure;
        pending.Count += delta;
        return roots;
    }

    /// <summary>
    /// The host's update of the committed tree, in place: the touched buckets hashed in chunks on all
    /// cores and installed, their roots written into level D, then each dense level's changed nodes
    /// recomputed from the level below (a node over one leaf takes its hash, over none ZERO, else the
    /// pair is hashed in lanes straight from the level's array). Nothing is copied into a plan.
    /// The levels from D - 1 up to <see cref="SplitDepth"/> are walked per subtree, each group of
    /// subtrees on one core (their nodes are disjoint), and only the few levels above that together:
    /// level by level on the whole tree, a 2-core machine spent half of a 10^7-account update with one
    /// core idle, waiting on the memory each level's scattered nodes live in.
    /// </summary>
    private void ApplyInPlace(ReadOnlySpan<TreeUpdate> updates, List<int> starts)
    {
        var pending = new Pending(0) { Count = _count, Buckets = new BucketChange[starts.Count - 1] };
        var roots = HashBucketsInChunks(this, updates, starts, pending);
        var changes = pending.Buckets;
        int n = changes.Length;
        var dirty = new int[n];
        var level = _hash[_top];
        var kinds = _kind[_top];
        ForRanges(n, 2048, (from, to) =>
        {
            for (int t = from; t < to; t++)
            {
                if (t + 2 * WarmAhead < to) _buckets.WarmSlot(changes[t + 2 * WarmAhead].Bucket);
                if (t + WarmAhead < to)
                {
                    uint ahead = changes[t + WarmAhead].Bucket;
                    _buckets.Warm(ahead);
                    CacheHints.Byte(level, 32 * (long)ahead);
                    CacheHints.Byte(kinds, ahead);
                }
                ref readonly var c = ref changes[t];
                _buckets.Install(c.Bucket, c.Leaves);
                roots.AsSpan(32 * t, 32).CopyTo(level.AsSpan((int)(32 * c.Bucket), 32));
                kinds[c.Bucket] = c.Kind;
                dirty[t] = (int)c.Bucket;
            }
        });
        _count = pending.Count;
        int split = Math.Min(SplitDepth, _top);
        if (n >= 2048 && split < _top)
        {
            // Ranges of the dirty buckets cut at subtree boundaries of depth `split`; each ends holding its subtrees' changed roots.
            int shift = _top - split;
            var cuts = new List<int> { 0 };
            int groups = Math.Min(64, n / 256);
            for (int g = 1; g < groups; g++)
            {
                int at = Math.Max((int)((long)n * g / groups), cuts[^1]);
                while (at < n && at > 0 && dirty[at] >> shift == dirty[at - 1] >> shift) at++;
                if (at > cuts[^1] && at < n) cuts.Add(at);
            }
            cuts.Add(n);
            var ends = new int[cuts.Count - 1];
            Parallel.For(0, cuts.Count - 1, g =>
            {
                var nodes = dirty.AsSpan(cuts[g], cuts[g + 1] - cuts[g]);
                for (int d = _top - 1; d >= split; d--)
                {
                    nodes = nodes[..Parents(nodes)];
                    HashParents(d, nodes);
                }
                ends[g] = nodes.Length;
            });
            int w = 0;
            for (int g = 0; g < ends.Length; g++)
            {
                dirty.AsSpan(cuts[g], ends[g]).CopyTo(dirty.AsSpan(w));
                w += ends[g];
            }
            n = w;
        }
        else split = _top;
        var rest = dirty.AsSpan(0, n);
        for (int d = split - 1; d >= 0; d--)
        {
            rest = rest[..Parents(rest)];
            HashParents(d, rest);
        }
    }

    /// <summary>How many buckets or nodes ahead of the one at hand a loop over scattered ones starts loading.</summary>
    private const int WarmAhead = 8;

    /// <summary>The depth at which a dense update's walk per subtree stops: 64 subtrees to share among the cores.</summary>
    private const int SplitDepth = 6;

    /// <summary>Replaces sorted node indices by their distinct parents, in place; returns how many.</summary>
    private static int Parents(Span<int> nodes)
    {
        int w = 0;
        for (int r = 0; r < nodes.Length; r++)
        {
            int parent = nodes[r] >> 1;
            if (w == 0 || nodes[w - 1] != parent) nodes[w++] = parent;
        }
        return w;
    }

    /// <summary>Runs <paramref name="body"/> over <c>[0, n)</c> in ranges of at least <paramref name="grain"/> (on all cores when there are several).</summary>
    private static void ForRanges(int n, int grain, Action<int, int> body)
    {
        int ranges = Math.Clamp(n / grain, 1, 64);
        if (ranges == 1)
        {
            body(0, n);
            return;
        }
        Parallel.For(0, ranges, r => body((int)((long)n * r / ranges), (int)((long)n * (r + 1) / ranges)));
    }

    /// <summary>
    /// Nodes <paramref name="parents"/> (sorted) of dense level <paramref name="d"/>, from level d + 1 as
    /// it stands, on this thread. Parents are taken a few hundred at a time, so that the pairs a group
    /// hashes are still in the cache that loading their kinds filled.
    /// </summary>
    private unsafe void HashParents(int d, ReadOnlySpan<int> parents)
    {
        const int Group = 256;
        var below = _hash[d + 1];
        var belowKinds = _kind[d + 1];
        var level = _hash[d];
        var kinds = _kind[d];
        int* multi = stackalloc int[Group];
        byte* digests = stackalloc byte[32 * Group];
        for (int from = 0; from < parents.Length; from += Group)
        {
            int to = Math.Min(parents.Length, from + Group), m = 0;
            for (int i = from; i < to; i++)
            {
                if (i + WarmAhead < parents.Length)
                {
                    long ahead = parents[i + WarmAhead];
                    CacheHints.Byte(belowKinds, 2 * ahead);
                    CacheHints.Byte(below, 64 * ahead);
                    CacheHints.Byte(below, 64 * ahead + 63);
                    CacheHints.Byte(level, 32 * ahead);
                    CacheHints.Byte(kinds, ahead);
                }
                int p = parents[i];
                byte l = belowKinds[2 * p], r = belowKinds[2 * p + 1];
                if (l == KindEmpty && r == KindEmpty)
                {
                    level.AsSpan(32 * p, 32).Clear();
                    kinds[p] = KindEmpty;
                }
                else if ((l == KindEmpty && r == KindSingle) || (r == KindEmpty && l == KindSingle))
                {
                    below.AsSpan(32 * (2 * p + (l == KindEmpty ? 1 : 0)), 32).CopyTo(level.AsSpan(32 * p, 32));
                    kinds[p] = KindSingle;
                }
                else
                {
                    kinds[p] = KindMulti;
                    multi[m++] = p;
                }
            }
            if (m == 0) continue;
            Sha256Lanes.Hash(below, new ChosenPairMessages(multi, m), 1, new Span<byte>(digests, 32 * m), parallel: false);
            for (int k = 0; k < m; k++) new ReadOnlySpan<byte>(digests + 32 * k, 32).CopyTo(level.AsSpan(32 * multi[k], 32));
        }
    }

    /// <summary>
    /// One touched bucket: its leaves merged with its updates into a new array (the old one is kept
    /// as it is until the commit), a leaf job for each new or changed leaf, and its subtree's jobs.
    /// </summary>
    private BucketChange PlanBucket(ReadOnlySpan<TreeLeaf> old, HashPlan plan, ReadOnlySpan<TreeUpdate> ups, ChunkState state, ref long countDelta)
    {
        uint b = ups[0].Key.Prefix(_top);
        // Size first, so the scratch is grown at most once.
        int size = old.Length, o = 0;
        foreach (ref readonly var up in ups)
        {
            while (o < old.Length && old[o].Key.CompareTo(up.Key) < 0) o++;
            bool present = o < old.Length && old[o].Key == up.Key;
            if (present) o++;
            if (up.Delete)
            {
                if (!present) throw new InvalidOperationException($"the removal of leaf {up.Key}, which the state tree does not hold (a change set made on another state)");
                size--;
            }
            else if (!present) size++;
        }
        countDelta += size - old.Length;
        int offset = state.Used;
        if (state.Scratch.Length < offset + size) Array.Resize(ref state.Scratch, Math.Max(offset + size, 2 * state.Scratch.Length));
        state.Used = offset + size;
        var leaves = state.Scratch.AsSpan(offset, size);
        if (state.Slots.Length < size) state.Slots = new int[Math.Max(size, 2 * state.Slots.Length)];
        var slots = state.Slots;
        var hashed = state.Hashed;
        int hashedFrom = hashed.Count, n = 0;
        o = 0;
        foreach (ref readonly var up in ups)
        {
            while (o < old.Length && old[o].Key.CompareTo(up.Key) < 0)
            {
                leaves[n] = old[o++];
                slots[n] = plan.Constant(leaves[n].LeafHash);
                n++;
            }
            if (o < old.Length && old[o].Key == up.Key) o++;
            if (up.Delete) continue;
            leaves[n] = new TreeLeaf { Key = up.Key, ValueHash = up.ValueHash };
            slots[n] = plan.Job(HashPlan.LeafWave, plan.Constant(up.Key), plan.Constant(up.ValueHash));
            hashed.Add((offset + n, slots[n]));
            n++;
        }
        while (o < old.Length)
        {
            leaves[n] = old[o++];
            slots[n] = plan.Constant(leaves[n].LeafHash);
            n++;
        }
        var (slot, kind) = PlanSubtree(plan, leaves, slots, 0, size, _top);
        return new BucketChange { Bucket = b, Scratch = state.Scratch, Offset = offset, Length = size, HashedFrom = hashedFrom, HashedTo = hashed.Count, RootSlot = slot, Kind = kind };
    }

    /// <summary>
    /// The subtree of the sorted <paramref name="leaves"/> <c>[lo, hi)</c>, which share their first
    /// <paramref name="depth"/> bits: ZERO when empty, the leaf's own hash when one, else a job
    /// over its two halves split at bit <paramref name="depth"/>.
    /// </summary>
    internal static (int Slot, byte Kind) PlanSubtree(HashPlan plan, ReadOnlySpan<TreeLeaf> leaves, ReadOnlySpan<int> slots, int lo, int hi, int depth)
    {
        int n = hi - lo;
        if (n == 0) return (HashPlan.ZeroSlot, KindEmpty);
        if (n == 1) return (slots[lo], KindSingle);
        int split = SplitAt(leaves, lo, hi, depth);
        var (l, _) = PlanSubtree(plan, leaves, slots, lo, split, depth + 1);
        var (r, _) = PlanSubtree(plan, leaves, slots, split, hi, depth + 1);
        return (plan.Job(depth, l, r), KindMulti);
    }

    /// <summary>The first leaf of <c>[lo, hi)</c> whose bit <paramref name="depth"/> is 1 (they are sorted, so all 0s come first).</summary>
    private static int SplitAt(ReadOnlySpan<TreeLeaf> leaves, int lo, int hi, int depth)
    {
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (leaves[mid].Key.Bit(depth) == 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>The dense levels above the touched buckets, from depth D - 1 up to the root.</summary>
    private void PlanDense(ITreeView view, Pending pending)
    {
        for (int d = _top - 1; d >= 0; d--)
        {
            var children = pending.Dirty[d + 1];
            var parents = pending.Dirty[d];
            int c = 0;
            while (c < children.Count)
            {
                uint p = children[c].Index >> 1;
                (int Slot, byte Kind) left, right;
                if ((children[c].Index & 1) == 0)
                {
                    left = (children[c].Slot, children[c].Kind);
                    c++;
                    if (c < children.Count && children[c].Index == 2 * p + 1) { right = (children[c].Slot, children[c].Kind); c++; }
                    else right = Stored(view, d + 1, 2 * p + 1);
                }
                else
                {
                    left = Stored(view, d + 1, 2 * p);
                    right = (children[c].Slot, children[c].Kind);
                    c++;
                }
                parents.Add(Combine(d, p, left, right));
            }
        }
    }

    /// <summary>A stored dense node as a plan input (its hash copied into a slot unless it is empty).</summary>
    private (int Slot, byte Kind) Stored(ITreeView view, int d, uint i)
    {
        byte kind = view.Kind(d, i);
        return kind == KindEmpty ? (HashPlan.ZeroSlot, KindEmpty) : (_plan.Constant(view.Node(d, i)), kind);
    }

    /// <summary>A node from its children: over nothing, ZERO; over one leaf, that leaf's hash; else a hash job.</summary>
    private (uint, int, byte) Combine(int d, uint p, (int Slot, byte Kind) l, (int Slot, byte Kind) r)
    {
        if (l.Kind == KindEmpty && r.Kind == KindEmpty) return (p, HashPlan.ZeroSlot, KindEmpty);
        if (l.Kind == KindEmpty && r.Kind == KindSingle) return (p, r.Slot, KindSingle);
        if (r.Kind == KindEmpty && l.Kind == KindSingle) return (p, l.Slot, KindSingle);
        return (p, _plan.Job(d, l.Slot, r.Slot), KindMulti);
    }

    private void Commit(Pending pending)
    {
        var values = _plan.Values;
        foreach (ref readonly var c in pending.Buckets.AsSpan())
        {
            for (int h = c.HashedFrom; h < c.HashedTo; h++)
            {
                var (position, slot) = pending.Hashed[h];
                c.Scratch[position].LeafHash = new Hash32(values.AsSpan(32 * slot, 32));
            }
            _buckets.Install(c.Bucket, c.Leaves);
        }
        for (int d = 0; d <= _top; d++)
        {
            var level = _hash[d];
            var kinds = _kind[d];
            foreach (var (i, slot, kind) in pending.Dirty[d])
            {
                values.AsSpan(32 * slot, 32).CopyTo(level.AsSpan((int)(32 * i), 32));
                kinds[i] = kind;
            }
        }
        _count = pending.Count;
    }

    /// <summary>A copy that changes independently of this one (every array copied).</summary>
    public SparseMerkleTree Clone()
    {
        var t = new SparseMerkleTree(_runner);
        t._top = _top;
        t._hash = _hash.Select(a => (byte[])a.Clone()).ToArray();
        t._kind = _kind.Select(a => (byte[])a.Clone()).ToArray();
        t._buckets = ((ArrayBuckets)_buckets).Clone(_top);
        t._count = _count;
        return t;
    }

    /// <summary>Every leaf, in key order (a tree in memory).</summary>
    internal TreeLeaf[] AllLeaves() => ((ArrayBuckets)_buckets).AllLeaves(_count);

    /// <summary>The leaves of bucket <paramref name="b"/> (sorted).</summary>
    internal ReadOnlySpan<TreeLeaf> Bucket(uint b) => _buckets.Get(b);

    private void Allocate(int top, bool bucketsInMemory = true, bool bucketLevel = true)
    {
        _top = top;
        _hash = new byte[top + 1][];
        _kind = new byte[top + 1][];
        for (int d = 0; d <= (bucketLevel ? top : top - 1); d++)
        {
            _hash[d] = new byte[32 << d];
            _kind[d] = new byte[1 << d];
        }
        if (bucketsInMemory) _buckets = new ArrayBuckets(top);
        _count = 0;
    }

    /// <summary>
    /// Lays out the tree anew with buckets at depth <paramref name="top"/> from leaves whose leaf hashes
    /// are known: buckets filled by a counting pass, each sorted; bucket subtrees hashed on all cores
    /// (a plan per chunk of buckets); then the dense levels, each one batch of lane hashes.
    /// </summary>
    private void Rebuild(TreeLeaf[] leaves, int top)
    {
        Allocate(top);
        _layout++;
        int buckets = 1 << top;
        var sizes = new int[buckets];
        foreach (ref readonly var l in leaves.AsSpan()) sizes[l.Key.Prefix(top)]++;
        var table = (ArrayBuckets)_buckets;
        var arrays = new TreeLeaf[]?[buckets];
        for (int b = 0; b < buckets; b++) if (sizes[b] > 0) arrays[b] = new TreeLeaf[sizes[b]];
        Array.Clear(sizes);
        foreach (ref readonly var l in leaves.AsSpan())
        {
            uint b = l.Key.Prefix(top);
            arrays[b]![sizes[b]++] = l;
        }
        for (int b = 0; b < buckets; b++) table.Set((uint)b, arrays[b]);
        _count = leaves.Length;
        HashBuckets(arrays, 0);
        for (int d = top - 1; d >= 0; d--) HashLevel(d);
    }

    /// <summary>
    /// The roots of buckets <c>first .. first + arrays.Length - 1</c> into the dense level D, from their
    /// leaves (sorted here; their leaf hashes known): a plan per chunk of buckets, on all cores.
    /// </summary>
    internal void HashBuckets(TreeLeaf[]?[] arrays, uint first)
    {
        int top = _top;
        int buckets = arrays.Length;
        const int ChunkBuckets = 2048;
        int chunks = (buckets + ChunkBuckets - 1) / ChunkBuckets;
        var level = _hash[top];
        var kinds = _kind[top];
        Exception? failure = null;
        Parallel.For(0, chunks, () => new HashPlan(), (c, _, plan) =>
        {
            try
            {
                plan.Clear();
                int from = c * ChunkBuckets, to = Math.Min(buckets, from + ChunkBuckets);
                var roots = new (int Slot, byte Kind)[to - from];
                for (int b = from; b < to; b++)
                {
                    var arr = arrays[b];
                    if (arr is null) { roots[b - from] = (HashPlan.ZeroSlot, KindEmpty); continue; }
                    Array.Sort(arr, static (x, y) => x.Key.CompareTo(y.Key));
                    for (int k = 1; k < arr.Length; k++)
                        if (arr[k - 1].Key == arr[k].Key) throw new ArgumentException($"the state tree's leaves repeat key {arr[k].Key}");
                    var slots = new int[arr.Length];
                    for (int k = 0; k < arr.Length; k++) slots[k] = plan.Constant(arr[k].LeafHash);
                    roots[b - from] = PlanSubtree(plan, arr, slots, 0, arr.Length, top);
                }
                CpuHashPlanRunner.Instance.Run(plan);
                for (int b = from; b < to; b++)
                {
                    plan.Slot(roots[b - from].Slot).CopyTo(level.AsSpan((int)(32 * (first + b)), 32));
                    kinds[first + b] = roots[b - from].Kind;
                }
            }
            catch (Exception e) { failure = e; }
            return plan;
        }, _ => { });
        if (failure is not null) throw failure;
    }

    /// <summary>Every node of dense level <paramref name="d"/> from level d + 1.</summary>
    private unsafe void HashLevel(int d)
    {
        var below = _hash[d + 1];
        var belowKinds = _kind[d + 1];
        var level = _hash[d];
        var kinds = _kind[d];
        int n = 1 << d;
        var multi = new List<int>();
        for (int p = 0; p < n; p++)
        {
            byte l = belowKinds[2 * p], r = belowKinds[2 * p + 1];
            if (l == KindEmpty && r == KindEmpty) { kinds[p] = KindEmpty; continue; }
            if ((l == KindEmpty && r == KindSingle) || (r == KindEmpty && l == KindSingle))
            {
                below.AsSpan(32 * (2 * p + (l == KindEmpty ? 1 : 0)), 32).CopyTo(level.AsSpan(32 * p, 32));
                kinds[p] = KindSingle;
                continue;
            }
            kinds[p] = KindMulti;
            multi.Add(p);
        }
        if (multi.Count == 0) return;
        var idx = CollectionsMarshal.AsSpan(multi);
        byte[] digests = ArrayPool<byte>.Shared.Rent(32 * idx.Length);
        fixed (int* ip = idx)
            Sha256Lanes.Hash(below, new ChosenPairMessages(ip, idx.Length), 1, digests, parallel: idx.Length >= 4096);
        for (int k = 0; k < idx.Length; k++) digests.AsSpan(32 * k, 32).CopyTo(level.AsSpan(32 * idx[k], 32));
        ArrayPool<byte>.Shared.Return(digests);
    }

    /// <summary>Fills every leaf's <see cref="TreeLeaf.LeafHash"/> from its key and value hash, in lanes on all cores.</summary>
    internal static void HashLeaves(TreeLeaf[] leaves)
    {
        const int Chunk = 8192;
        int n = leaves.Length;
        Parallel.For(0, (n + Chunk - 1) / Chunk, c =>
        {
            int from = c * Chunk, to = Math.Min(n, from + Chunk);
            var span = leaves.AsSpan(from, to - from);
            var bytes = MemoryMarshal.AsBytes(span);
            byte[] digests = ArrayPool<byte>.Shared.Rent(32 * span.Length);
            Sha256Lanes.Hash(bytes, new StridedMessages(span.Length, TreeLeaf.Size, 64), 0, digests, parallel: false);
            for (int i = 0; i < span.Length; i++) span[i].LeafHash = new Hash32(digests.AsSpan(32 * i, 32));
            ArrayPool<byte>.Shared.Return(digests);
        });
    }

    /// <summary>
    /// The proof of SPEC section 6 for <paramref name="key"/>: the siblings from the root down to
    /// where its path ends, and the leaf there (null when the path ends in an empty subtree).
    /// </summary>
    public (List<Hash32> Siblings, TreeLeaf? Leaf) Prove(TreeKey key) => Prove(this, key);

    /// <summary>As <see cref="Prove(TreeKey)"/>, in the state <paramref name="view"/> describes (this tree, or changes on top of it).</summary>
    internal static (List<Hash32> Siblings, TreeLeaf? Leaf) Prove(ITreeView view, TreeKey key)
    {
        using var gate = view.Base.Gate.EnterScope();
        int top = view.Base._top;
        var siblings = new List<Hash32>();
        uint i = 0;
        for (int d = 0; d < top; d++)
        {
            byte kind = view.Kind(d, i);
            if (kind == KindEmpty) return (siblings, null);
            if (kind == KindSingle) return (siblings, SingleLeafUnder(view, top, d, i));
            uint child = 2 * i + (uint)key.Bit(d);
            siblings.Add(view.Node(d + 1, child ^ 1));
            i = child;
        }
        ReadOnlySpan<TreeLeaf> leaves = view.Bucket(i);
        int lo = 0, hi = leaves.Length, depth = top;
        while (true)
        {
            if (hi - lo == 0) return (siblings, null);
            if (hi - lo == 1) return (siblings, leaves[lo]);
            int split = SplitAt(leaves, lo, hi, depth);
            if (key.Bit(depth) == 0)
            {
                siblings.Add(SubtreeHash(leaves[split..hi], depth + 1));
                hi = split;
            }
            else
            {
                siblings.Add(SubtreeHash(leaves[lo..split], depth + 1));
                lo = split;
            }
            depth++;
        }
    }

    private static TreeLeaf SingleLeafUnder(ITreeView view, int top, int d, uint i)
    {
        uint first = i << (top - d), last = (i + 1) << (top - d);
        for (uint b = first; b < last; b++)
            if (view.Bucket(b) is { Length: 1 } one) return one[0];
        throw new InvalidOperationException($"the state tree's node {i} at depth {d} says one leaf, and its buckets disagree");
    }

    /// <summary>The hash of a sorted set of leaves sharing their first <paramref name="depth"/> bits, one SHA-256 call a node (proofs are not hot).</summary>
    internal static Hash32 SubtreeHash(ReadOnlySpan<TreeLeaf> leaves, int depth)
    {
        if (leaves.Length == 0) return default;
        if (leaves.Length == 1) return leaves[0].LeafHash;
        int split = SplitAt(leaves, 0, leaves.Length, depth);
        var l = SubtreeHash(leaves[..split], depth + 1);
        var r = SubtreeHash(leaves[split..], depth + 1);
        return NodeHash(l, r);
    }

    /// <summary><c>H(0x01 || left || right)</c>.</summary>
    internal static Hash32 NodeHash(Hash32 left, Hash32 right)
    {
        Span<byte> m = stackalloc byte[65];
        m[0] = 1;
        left.WriteTo(m[1..]);
        right.WriteTo(m[33..]);
        Span<byte> h = stackalloc byte[32];
        SHA256.HashData(m, h);
        return new Hash32(h);
    }

    /// <summary><c>H(0x00 || key || value_hash)</c>.</summary>
    internal static Hash32 LeafNodeHash(TreeKey key, Hash32 valueHash)
    {
        Span<byte> m = stackalloc byte[65];
        m[0] = 0;
        key.WriteTo(m[1..]);
        valueHash.WriteTo(m[33..]);
        Span<byte> h = stackalloc byte[32];
        SHA256.HashData(m, h);
        return new Hash32(h);
    }
}
