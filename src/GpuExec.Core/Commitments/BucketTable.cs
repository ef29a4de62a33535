namespace GpuExec.Commitments;

/// <summary>
/// Where a <see cref="SparseMerkleTree"/>'s buckets live: in memory (<see cref="ArrayBuckets"/>), or
/// in a store behind a bounded cache. The tree plans from <see cref="Get"/> and installs a block's
/// new contents with <see cref="Install"/> or <see cref="Adopt"/>; a store writes those into the
/// block's batch. Called with the tree's gate held.
/// </summary>
internal abstract class BucketTable
{
    /// <summary>The sorted leaves of bucket <paramref name="bucket"/>, or null when it is empty. Not to be changed by the caller.</summary>
    public abstract TreeLeaf[]? Get(uint bucket);

    /// <summary>Bucket <paramref name="bucket"/> now holds <paramref name="leaves"/> (a buffer the caller reuses: copied). Called on several threads at once for distinct buckets.</summary>
    public abstract void Install(uint bucket, ReadOnlySpan<TreeLeaf> leaves);

    /// <summary>Bucket <paramref name="bucket"/> now holds this array (null: empty), which readers of a committed proposal may still hold: kept, never changed in place.</summary>
    public abstract void Adopt(uint bucket, TreeLeaf[]? leaves);

    /// <summary>Reads these buckets ahead of a plan that needs them (a store reads them in one batch); in memory, nothing to do.</summary>
    public virtual void Prefetch(ReadOnlySpan<uint> buckets)
    {
    }

    /// <summary>Starts loading the slot that refers to bucket <paramref name="bucket"/> into the processor's cache (a hint: never waits, never fails).</summary>
    public virtual void WarmSlot(uint bucket)
    {
    }

    /// <summary>Starts loading bucket <paramref name="bucket"/>'s first leaves into the processor's cache (a hint; best after <see cref="WarmSlot"/>).</summary>
    public virtual void Warm(uint bucket)
    {
    }

    /// <summary>Whether the tree may re-lay its buckets as it grows (a store keeps the layout it was made with).</summary>
    public virtual bool CanRelayout => false;
}

/// <summary>Every bucket in memory, one array each (the default tree).</summary>
internal sealed class ArrayBuckets : BucketTable
{
    private readonly TreeLeaf[]?[] _buckets;
    // Arrays a delta handed over (a proposal may still read them): replaced, never changed in place.
    private readonly bool[] _shared;

    public ArrayBuckets(int top)
    {
        _buckets = new TreeLeaf[]?[1 << top];
        _shared = new bool[1 << top];
    }

    public override bool CanRelayout => true;

    public int Length => _buckets.Length;

    public override TreeLeaf[]? Get(uint bucket) => _buckets[bucket];

    public override void WarmSlot(uint bucket)
    {
        if (bucket < (uint)_buckets.Length) CacheHints.At(ref _buckets[bucket]);
    }

    public override void Warm(uint bucket)
    {
        if (bucket < (uint)_buckets.Length) CacheHints.Leaves(_buckets[bucket]);
    }

    public override void Install(uint bucket, ReadOnlySpan<TreeLeaf> leaves)
    {
        ref var a = ref _buckets[bucket];
        if (leaves.Length == 0) a = null;
        else
        {
            if (a is null || a.Length != leaves.Length || _shared[bucket]) a = new TreeLeaf[leaves.Length];
            leaves.CopyTo(a);
        }
        _shared[bucket] = false;
    }

    public override void Adopt(uint bucket, TreeLeaf[]? leaves)
    {
        _buckets[bucket] = leaves;
        _shared[bucket] = leaves is not null;
    }

    /// <summary>Sets bucket <paramref name="bucket"/> to an array this table owns (building a tree).</summary>
    public void Set(uint bucket, TreeLeaf[]? leaves) => _buckets[bucket] = leaves;

    /// <summary>Every leaf, in key order.</summary>
    public TreeLeaf[] AllLeaves(long count)
    {
        var all = new TreeLeaf[count];
        int n = 0;
        foreach (var b in _buckets)
        {
            if (b is null) continue;
            b.CopyTo(all, n);
            n += b.Length;
        }
        return all;
    }

    /// <summary>A deep copy.</summary>
    public ArrayBuckets Clone(int top)
    {
        var c = new ArrayBuckets(top);
        for (int b = 0; b < _buckets.Length; b++) c._buckets[b] = (TreeLeaf[]?)_buckets[b]?.Clone();
        return c;
    }
}
