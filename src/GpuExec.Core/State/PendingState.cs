using GpuExec.Commitments;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// The state after an executed block that is not committed (a proposal): its parent's state with
/// the block's <see cref="ChangeSet"/> on top, read without copying either. Its parent is the
/// committed state (a <see cref="WorldState"/>) or another pending state, so proposals chain, and
/// siblings share a parent. Nothing is written anywhere until the committed state adopts it
/// (<see cref="WorldState.Commit(PendingState)"/>); one that is never committed is simply dropped.
/// Reads are consistent: the parent it reads through does not change under it while it is a
/// proposal on the committed head (a commit of anything else makes it stale, and it can no longer be committed).
/// </summary>
public sealed class PendingState : IStateReader, ITreeOwner
{
    private readonly IStateReader _parent;

    internal PendingState(IStateReader parent, ChangeSet changes, ulong height, TreeDelta tree)
    {
        _parent = parent;
        Changes = changes;
        Height = height;
        Tree = tree;
        ParentRoot = parent.StateRoot;
    }

    /// <summary>
    /// The state after <paramref name="changes"/> on top of <paramref name="parent"/> at <paramref name="height"/>:
    /// the new root is computed (on <paramref name="runner"/>'s device, or the host) and nothing changes.
    /// </summary>
    internal static PendingState Create(IStateReader parent, ChangeSet changes, ulong height, IHashPlanRunner? runner)
    {
        var view = TreeViewOf(parent);
        var delta = view.Base.Preview(view, TreeUpdates.From(changes), runner);
        return new PendingState(parent, changes, height, delta);
    }

    /// <summary>The state tree of a reader this library made: a live world state's, a store's, or a pending state's delta.</summary>
    internal static ITreeView TreeViewOf(IStateReader state) => state is ITreeOwner owner
        ? owner.TreeView
        : throw new ArgumentException($"a block can be proposed on a state of this library (a {nameof(WorldState)}, a store's state, a {nameof(PendingState)}), not on a {state.GetType().Name}", nameof(state));

    ITreeView ITreeOwner.TreeView => Tree;

    /// <summary>The state the block was executed on.</summary>
    public IStateReader Parent => _parent;
    /// <summary>The parent's root when the block was executed (a commit requires the committed state to still have it).</summary>
    public Hash32 ParentRoot { get; }
    /// <summary>What the block changed.</summary>
    public ChangeSet Changes { get; }
    internal TreeDelta Tree { get; }

    /// <inheritdoc/>
    public uint ChainId => _parent.ChainId;
    /// <inheritdoc/>
    public ulong Height { get; }
    /// <inheritdoc/>
    public Hash32 StateRoot => Tree.Root;

    /// <inheritdoc/>
    public Account? TryGetAccount(Address address)
    {
        var changes = Changes.AccountSpan;
        int lo = 0, hi = changes.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = changes[mid].Address.CompareTo(address);
            if (c == 0) return changes[mid].After;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return _parent.TryGetAccount(address);
    }

    /// <inheritdoc/>
    public bool TryGetPool(uint id, out Pool pool)
    {
        foreach (ref readonly var p in Changes.PoolSpan)
        {
            if (p.Id != id) continue;
            pool = p.After;
            return true;
        }
        return _parent.TryGetPool(id, out pool);
    }

    /// <summary>The proof (SPEC section 6) for the account at <paramref name="address"/> in this state.</summary>
    public StateProof GetProof(Address address) =>
        Proofs.Make(Tree, Height, TreeKey.ForAccount(address), TryGetAccount(address) is { IsEmpty: false } a ? Proofs.AccountLeaf(a) : null);

    /// <summary>The proof (SPEC section 6) for pool <paramref name="id"/> in this state.</summary>
    public StateProof GetProof(uint id) =>
        Proofs.Make(Tree, Height, TreeKey.ForPool(id), TryGetPool(id, out var p) ? Proofs.PoolLeaf(p) : null);
}

/// <summary>A state that holds a state tree (the committed tree, or a delta over it): what a block proposed on it updates.</summary>
internal interface ITreeOwner
{
    ITreeView TreeView { get; }
}

/// <summary>Proofs of a state: its tree's path for a key, and the leaf data the state holds for it.</summary>
internal static class Proofs
{
    public static byte[] AccountLeaf(Account a)
    {
        var data = new byte[LeafEncoding.AccountLeafSize(a)];
        LeafEncoding.WriteAccountLeaf(a, data);
        return data;
    }

    public static byte[] PoolLeaf(in Pool p)
    {
        var data = new byte[LeafEncoding.PoolLeafSize];
        LeafEncoding.WritePoolLeaf(p, data);
        return data;
    }

    /// <summary>The proof for <paramref name="key"/> in <paramref name="tree"/>; the tree and the state's data must agree on whether it is there.</summary>
    public static StateProof Make(ITreeView tree, ulong height, TreeKey key, byte[]? data)
    {
        var (siblings, leaf) = SparseMerkleTree.Prove(tree, key);
        var found = leaf is { } l ? new ProofLeaf(l.Key, l.ValueHash) : (ProofLeaf?)null;
        bool present = found is { } f && f.Key == key;
        if (present != data is not null)
            throw new InvalidOperationException($"the state tree and the state disagree on key {key}: a corrupted state");
        return new StateProof(tree.Root, height, key, found, siblings, data, hasData: data is not null);
    }
}
