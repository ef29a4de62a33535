using GpuExec.Model;

namespace GpuExec.State;

/// <summary>
/// One account a block changed: its leaf before the block and after it (SPEC section 6). An
/// account without a leaf (absent, or nonce 0 and no non-zero balance) is null on that side, so a
/// block that creates an account has <see cref="Before"/> null and one that empties it has
/// <see cref="After"/> null. Never both: an account created and emptied in one block is no change.
/// </summary>
public readonly struct AccountChange
{
    /// <summary>A change of the account at <paramref name="address"/>; the sides must carry that address.</summary>
    public AccountChange(Address address, Account? before, Account? after)
    {
        if (before is null && after is null) throw new ArgumentException("an account change needs a side with a leaf");
        if ((before is not null && (before.Address != address || before.IsEmpty))
            || (after is not null && (after.Address != address || after.IsEmpty)))
            throw new ArgumentException($"an account change of {address} must hold that account, non-empty, on each side it names");
        Address = address;
        Before = before;
        After = after;
    }

    /// <summary>The account's address.</summary>
    public Address Address { get; }
    /// <summary>The account before the block; null when it had no leaf.</summary>
    public Account? Before { get; }
    /// <summary>The account after the block; null when it has no leaf any more.</summary>
    public Account? After { get; }
    /// <summary>The block gave the account its leaf.</summary>
    public bool Created => Before is null;
    /// <summary>The block took the account's leaf away (nonce 0, every balance 0).</summary>
    public bool Emptied => After is null;
}

/// <summary>One pool a block changed (its reserves); pools are neither created nor removed by blocks.</summary>
public readonly struct PoolChange
{
    /// <summary>A change of a pool's reserves from <paramref name="before"/> to <paramref name="after"/>.</summary>
    public PoolChange(Pool before, Pool after)
    {
        Before = before;
        After = after;
    }

    /// <summary>The pool before the block.</summary>
    public Pool Before { get; }
    /// <summary>The pool after the block: the same id, tokens and fee.</summary>
    public Pool After { get; }
    /// <summary>The pool's id.</summary>
    public uint Id => After.Id;
}

/// <summary>
/// What a block changed in the state, by value: every account whose leaf differs after the block
/// (sorted by address) and every pool whose reserves differ (sorted by id), each with its value
/// before and after. The execute stage emits it; the state adopts it, the state commitment
/// computes the new root from it, and a store commits exactly it. Nothing else changes in a block.
/// </summary>
public sealed class ChangeSet
{
    private readonly AccountChange[] _accounts;
    private readonly PoolChange[] _pools;

    /// <summary>No change.</summary>
    public static ChangeSet Empty { get; } = new([], [], trusted: true);

    /// <summary>A change set of these changes; they must be sorted (accounts by address, pools by id) without repeats.</summary>
    public ChangeSet(AccountChange[] accounts, PoolChange[] pools)
        : this(accounts, pools, trusted: false)
    {
    }

    internal ChangeSet(AccountChange[] accounts, PoolChange[] pools, bool trusted)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(pools);
        if (!trusted)
        {
            for (int i = 1; i < accounts.Length; i++)
                if (accounts[i - 1].Address.CompareTo(accounts[i].Address) >= 0)
                    throw new ArgumentException($"account changes must be sorted by address without repeats ({accounts[i].Address} at {i})", nameof(accounts));
            for (int i = 0; i < pools.Length; i++)
            {
                var (b, a) = (pools[i].Before, pools[i].After);
                if (b.Id != a.Id || b.TokenA != a.TokenA || b.TokenB != a.TokenB || b.FeeBps != a.FeeBps)
                    throw new ArgumentException($"pool change {i} changes more than the reserves", nameof(pools));
                if (i > 0 && pools[i - 1].Id >= pools[i].Id)
                    throw new ArgumentException($"pool changes must be sorted by id without repeats (pool {pools[i].Id} at {i})", nameof(pools));
            }
        }
        _accounts = accounts;
        _pools = pools;
    }

    /// <summary>Changed accounts, sorted by address.</summary>
    public IReadOnlyList<AccountChange> Accounts => _accounts;
    /// <summary>Changed pools, sorted by id.</summary>
    public IReadOnlyList<PoolChange> Pools => _pools;
    /// <summary>The changed accounts as a span (no copy).</summary>
    public ReadOnlySpan<AccountChange> AccountSpan => _accounts;
    /// <summary>The changed pools as a span (no copy).</summary>
    public ReadOnlySpan<PoolChange> PoolSpan => _pools;
    /// <summary>Number of changed accounts and pools.</summary>
    public int Count => _accounts.Length + _pools.Length;
}
