using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Execution;

/// <summary>
/// What one block touches, copied from the state it reads on first touch: the rules change the
/// copies, never the state. When the block is done, <see cref="ToChangeSet"/> compares each copy
/// with what the state held and hands on only what differs, sorted, as the block's change set. An
/// account the block creates and leaves empty is no change, so transactions from unknown keys that
/// fail leave nothing behind.
/// Not thread-safe: the block's transactions run one after another.
/// </summary>
internal sealed class WorkingSet
{
    private readonly IStateReader _base;
    private readonly Dictionary<Address, Touched> _accounts;
    private readonly Dictionary<uint, TouchedPool> _pools = [];

    private struct Touched
    {
        public Account? Before;   // the state's object, or null when it has no leaf
        public Account Working;
    }

    private struct TouchedPool
    {
        public Pool Before;
        public Pool Working;
        public bool Exists;
    }

    public WorkingSet(IStateReader state, int capacity = 0)
    {
        ArgumentNullException.ThrowIfNull(state);
        _base = state;
        _accounts = new Dictionary<Address, Touched>(capacity);
    }

    /// <summary>The state this block reads.</summary>
    public IStateReader Base => _base;

    /// <summary>The block's copy of the account at <paramref name="address"/> (an empty one when the state has none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Account Account(Address address)
    {
        ref var t = ref CollectionsMarshal.GetValueRefOrAddDefault(_accounts, address, out bool exists);
        if (!exists) Load(ref t, address);
        return t.Working;
    }

    private void Load(ref Touched t, Address address)
    {
        var before = _base.TryGetAccount(address);
        t.Before = before is { IsEmpty: false } ? before : null;
        t.Working = before?.Clone() ?? new Account(address);
    }

    /// <summary>The block's copy of pool <paramref name="id"/>, or a null reference when there is no such pool (check with <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>). Valid until the next pool is touched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Pool Pool(uint id)
    {
        ref var t = ref CollectionsMarshal.GetValueRefOrAddDefault(_pools, id, out bool exists);
        if (!exists)
        {
            t.Exists = _base.TryGetPool(id, out t.Before);
            t.Working = t.Before;
        }
        if (!t.Exists) return ref Unsafe.NullRef<Pool>();
        return ref t.Working;
    }

    /// <summary>
    /// The block's change set: every touched account whose leaf differs from the state's (the
    /// copies become the after-sides, so the working set is done with), and every pool whose
    /// reserves moved; sorted.
    /// </summary>
    public ChangeSet ToChangeSet()
    {
        var changes = new AccountChange[_accounts.Count];
        int n = 0;
        foreach (var (address, t) in _accounts)
        {
            var after = t.Working.IsEmpty ? null : t.Working;
            if (t.Before is null ? after is null : after is not null && t.Before.SameLeaf(after)) continue;
            changes[n++] = new AccountChange(address, t.Before, after);
        }
        var pools = new List<PoolChange>();
        foreach (var (_, t) in _pools)
        {
            if (t.Exists && (t.Before.ReserveA != t.Working.ReserveA || t.Before.ReserveB != t.Working.ReserveB))
                pools.Add(new PoolChange(t.Before, t.Working));
        }
        return ChangeSets.Create(changes, n, pools);
    }
}

/// <summary>Helpers that make sorted change sets from unsorted changes.</summary>
internal static class ChangeSets
{
    /// <summary>The first <paramref name="count"/> of <paramref name="accounts"/> (distinct addresses) and <paramref name="pools"/> (distinct ids), sorted into a change set.</summary>
    public static ChangeSet Create(AccountChange[] accounts, int count, List<PoolChange> pools)
    {
        if (count != accounts.Length) Array.Resize(ref accounts, count);
        accounts.AsSpan().Sort(default(ByAddress));
        var p = pools.ToArray();
        p.AsSpan().Sort(static (x, y) => x.Id.CompareTo(y.Id));
        return count == 0 && p.Length == 0 ? ChangeSet.Empty : new ChangeSet(accounts, p, trusted: true);
    }

    private readonly struct ByAddress : IComparer<AccountChange>
    {
        public int Compare(AccountChange x, AccountChange y) => x.Address.CompareTo(y.Address);
    }
}
