using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// The state tree as one state sees it: the committed tree itself, or a <see cref="TreeDelta"/> (a
/// block's changes to the tree, not committed) on top of another view. What an update plans from
/// and what a proof is read from. Its members are called with the base's <see cref="SparseMerkleTree.Gate"/>
/// held (planning and proofs take it), so a commit or a re-layout of the base never runs under a read.
/// </summary>
internal interface ITreeView
{
    /// <summary>The committed tree at the bottom of the chain of views.</summary>
    SparseMerkleTree Base { get; }
    /// <summary>The base's bucket layout this view was made on (it changes when the base re-lays its buckets).</summary>
    int Layout { get; }
    /// <summary>Leaves in the tree.</summary>
    long Count { get; }
    /// <summary>The root.</summary>
    Hash32 Root { get; }
    /// <summary>The sorted leaves of bucket <paramref name="b"/>, or null when it is empty. Not to be changed.</summary>
    TreeLeaf[]? Bucket(uint b);
    /// <summary>Dense node <paramref name="index"/> at <paramref name="depth"/>: empty, one leaf or more.</summary>
    byte Kind(int depth, uint index);
    /// <summary>Dense node <paramref name="index"/> at <paramref name="depth"/>: its hash (zeros when empty).</summary>
    Hash32 Node(int depth, uint index);
}

/// <summary>
/// An executed block's changes to the state tree, not committed: the new contents of the buckets it
/// touched and the dense nodes it changed, over the view it was computed from (the committed tree
/// or another delta). It reads as the tree after the block (proofs included) and changes nothing
/// until <see cref="SparseMerkleTree.Commit(TreeDelta)"/> installs it. It keeps its leaf updates, so
/// that a delta made before the base re-laid its buckets is recomputed instead of installed.
/// </summary>
internal sealed class TreeDelta : ITreeView
{
    private Dictionary<uint, TreeLeaf[]?> _buckets;
    private Dictionary<uint, (Hash32 Hash, byte Kind)>[] _nodes;

    internal TreeDelta(ITreeView parent, TreeUpdate[] updates, int layout, Dictionary<uint, TreeLeaf[]?> buckets,
        Dictionary<uint, (Hash32, byte)>[] nodes, long count, Hash32 root)
    {
        Parent = parent;
        Updates = updates;
        Layout = layout;
        _buckets = buckets;
        _nodes = nodes;
        Count = count;
        Root = root;
        ParentRoot = parent.Root;
    }

    /// <summary>The view the block was executed on.</summary>
    public ITreeView Parent { get; }
    /// <summary>The block's leaf updates, sorted by key.</summary>
    public TreeUpdate[] Updates { get; }
    /// <summary>The root the parent had when this delta was made (the commit checks the base has it).</summary>
    public Hash32 ParentRoot { get; }
    public SparseMerkleTree Base => Parent.Base;
    public int Layout { get; private set; }
    public long Count { get; }
    public Hash32 Root { get; }

    public TreeLeaf[]? Bucket(uint b)
    {
        EnsureLayout();
        return _buckets.TryGetValue(b, out var leaves) ? leaves : Parent.Bucket(b);
    }

    public byte Kind(int depth, uint index)
    {
        EnsureLayout();
        return _nodes[depth].TryGetValue(index, out var n) ? n.Kind : Parent.Kind(depth, index);
    }

    public Hash32 Node(int depth, uint index)
    {
        EnsureLayout();
        return _nodes[depth].TryGetValue(index, out var n) ? n.Hash : Parent.Node(depth, index);
    }

    /// <summary>The new bucket contents (null: emptied) and dense nodes, for the commit.</summary>
    internal (Dictionary<uint, TreeLeaf[]?> Buckets, Dictionary<uint, (Hash32 Hash, byte Kind)>[] Nodes) Contents
    {
        get
        {
            EnsureLayout();
            return (_buckets, _nodes);
        }
    }

    /// <summary>
    /// After the base re-laid its buckets, recomputes this delta's contents in the new layout from its
    /// updates (its parent's first). The root cannot change: it depends only on the leaves.
    /// </summary>
    /// <summary>
    /// The base now holds this delta's state: from here on it reads straight through to the base (a
    /// child made on this delta keeps working, in whatever layout the base has).
    /// </summary>
    internal void Committed()
    {
        _committed = true;
        _buckets = [];
        for (int d = 0; d < _nodes.Length; d++) _nodes[d] = [];
    }

    private bool _committed;

    private void EnsureLayout()
    {
        if (Layout == Base.LayoutVersion) return;
        if (_committed)
        {
            _nodes = new Dictionary<uint, (Hash32, byte)>[Base.TopDepth + 1];
            for (int d = 0; d < _nodes.Length; d++) _nodes[d] = [];
            Layout = Base.LayoutVersion;
            return;
        }
        var again = Base.Preview(Parent, Updates, runner: null);
        if (again.Root != Root)
            throw new InvalidOperationException($"a block's tree changes recomputed after a re-layout give root {again.Root}, not {Root}");
        (_buckets, _nodes) = (again._buckets, again._nodes);
        Layout = again.Layout;
    }
}
