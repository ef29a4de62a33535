using GpuExec.Kernels.Conflicts;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Conflicts;

/// <summary>
/// Builds a block's <see cref="AccessSets"/> on the host: interns addresses to dense account ids
/// (reading the state only), reads pool tokens from the pre-state (they never change), and emits one record per distinct key
/// of each transaction. Single-threaded: it is one pass of dictionary lookups.
/// </summary>
internal static class AccessSetBuilder
{
    /// <summary>
    /// Builds the access sets. <paramref name="statuses"/> holds, per transaction, the outcome of
    /// the stateless stages: <see cref="TxStatus.Ok"/> for those that still run the stateful rules.
    /// The state is only read.
    /// </summary>
    public static AccessSets Build(IStateReader state, Block block, ReadOnlySpan<TxStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(block);
        int n = block.Count;
        if (statuses.Length != n) throw new ArgumentException("one status per transaction", nameof(statuses));
        var sets = new AccessSets(n);
        var interner = new Interner(state, n);
        var pools = new PoolTable(state);
        int collector = -1;
        var alias = sets.Alias;
        var txPools = sets.TxPools;
        txPools.AsSpan().Fill(AccessSets.NoPool);
        Span<ulong> k = stackalloc ulong[AccessSets.Stride];
        Span<AccessMode> m = stackalloc AccessMode[AccessSets.Stride];
        int count = 0, scheduled = 0;
        for (int i = 0; i < n; i++)
        {
            int baseId = i * AccessSets.Stride;
            if (statuses[i] != TxStatus.Ok)
            {
                alias.AsSpan(baseId, AccessSets.Stride).Fill(AccessSets.Absent);
                continue;
            }
            if (collector < 0) collector = interner.Intern(block.Header.FeeCollector);
            sets.Scheduled[i] = true;
            scheduled++;
            var tx = new TransactionView(block.Record(i));
            int sender = interner.Intern(tx.Sender);
            m.Clear();
            k[AccessSets.PosNonce] = StateKey.Nonce(sender); m[AccessSets.PosNonce] = AccessMode.Write;
            k[AccessSets.PosFee] = StateKey.Balance(sender, 0); m[AccessSets.PosFee] = AccessMode.Write;
            k[AccessSets.PosCollector] = StateKey.Balance(collector, 0); m[AccessSets.PosCollector] = AccessMode.Add;
            int cost = 1;
            var hopPools = txPools.AsSpan(i * AccessSets.MaxPools, AccessSets.MaxPools);
            switch (tx.Kind)
            {
                case TxKind.Transfer:
                {
                    uint token = tx.Token;
                    k[AccessSets.PosDebit] = StateKey.Balance(sender, token); m[AccessSets.PosDebit] = AccessMode.Write;
                    k[AccessSets.PosCredit] = StateKey.Balance(interner.Intern(tx.To), token); m[AccessSets.PosCredit] = AccessMode.Add;
                    break;
                }
                case TxKind.Swap:
                {
                    uint poolId = tx.PoolId;
                    int ordinal = pools.Ordinal(poolId);
                    hopPools[0] = ordinal;
                    if (!pools.Exists(ordinal)) break; // UNKNOWN_POOL: the fee keys only
                    var pool = pools[ordinal];
                    bool aToB = tx.AToB;
                    uint tin = aToB ? pool.TokenA : pool.TokenB;
                    uint tout = aToB ? pool.TokenB : pool.TokenA;
                    k[AccessSets.PosDebit] = StateKey.Balance(sender, tin); m[AccessSets.PosDebit] = AccessMode.Write;
                    k[AccessSets.PosCredit] = StateKey.Balance(sender, tout); m[AccessSets.PosCredit] = AccessMode.Add;
                    k[AccessSets.PosPool] = StateKey.Pool(poolId); m[AccessSets.PosPool] = AccessMode.Write;
                    cost = 2;
                    break;
                }
                case TxKind.Route:
                {
                    // Its pools' existence and chaining are the pre-state's (pools are never created
                    // and their tokens never change), so a route that will fail UNKNOWN_POOL or
                    // BAD_ROUTE declares the fee keys only; the others every hop's pool.
                    int hops = tx.Hops;
                    bool valid = true;
                    uint tin0 = 0, tout = 0;
                    for (int h = 0; h < hops; h++)
                    {
                        int ordinal = pools.Ordinal(tx.HopPool(h));
                        hopPools[h] = ordinal;
                        if (!valid) continue;
                        if (!pools.Exists(ordinal)) { valid = false; continue; }
                        var pool = pools[ordinal];
                        bool aToB = tx.HopAToB(h);
                        uint tin = aToB ? pool.TokenA : pool.TokenB;
                        if (h == 0) tin0 = tin;
                        else if (tin != tout) valid = false;
                        tout = aToB ? pool.TokenB : pool.TokenA;
                    }
                    if (!valid) break;
                    k[AccessSets.PosDebit] = StateKey.Balance(sender, tin0); m[AccessSets.PosDebit] = AccessMode.Write;
                    k[AccessSets.PosCredit] = StateKey.Balance(sender, tout); m[AccessSets.PosCredit] = AccessMode.Add;
                    for (int h = 0; h < hops; h++)
                    {
                        k[AccessSets.PosPool + h] = StateKey.Pool(tx.HopPool(h));
                        m[AccessSets.PosPool + h] = AccessMode.Write;
                    }
                    cost = 1 + hops;
                    break;
                }
                default:
                    throw new ArgumentException($"transaction {i} is scheduled but not well-formed", nameof(statuses));
            }
            sets.Cost[i] = (byte)cost;
            count = Emit(sets, i, k, m, count);
        }
        sets.RecordCount = count;
        sets.ScheduledCount = scheduled;
        sets.Accounts = interner.Accounts;
        sets.Addresses = interner.Addresses;
        sets.AccountCount = interner.Count;
        (sets.Pools, sets.PoolExists) = pools.ToArrays();
        return sets;
    }

    /// <summary>
    /// Access sets declared directly, <see cref="AccessSets.Stride"/> layout positions per
    /// transaction (<see cref="AccessMode.None"/>: absent). For tests and tools: no pools are
    /// resolved, so they are for detection and scheduling, not for execution. Keys repeated within
    /// one transaction are combined as in <see cref="Build"/>. A transaction with no access is not scheduled.
    /// </summary>
    public static AccessSets FromDeclared(int txCount, ReadOnlySpan<ulong> keys, ReadOnlySpan<AccessMode> modes)
    {
        if (keys.Length != txCount * AccessSets.Stride || modes.Length != keys.Length)
            throw new ArgumentException($"{AccessSets.Stride} keys and modes per transaction");
        var sets = new AccessSets(txCount);
        sets.TxPools.AsSpan().Fill(AccessSets.NoPool);
        Span<ulong> k = stackalloc ulong[AccessSets.Stride];
        Span<AccessMode> m = stackalloc AccessMode[AccessSets.Stride];
        int count = 0, scheduled = 0;
        for (int i = 0; i < txCount; i++)
        {
            keys.Slice(i * AccessSets.Stride, AccessSets.Stride).CopyTo(k);
            modes.Slice(i * AccessSets.Stride, AccessSets.Stride).CopyTo(m);
            bool any = false;
            foreach (var x in m) any |= x != AccessMode.None;
            sets.Scheduled[i] = any;
            if (any) scheduled++;
            int pools = 0;
            for (int p = AccessSets.PosPool; p < AccessSets.PosPool + AccessSets.MaxPools; p++) pools += m[p] != AccessMode.None ? 1 : 0;
            sets.Cost[i] = any ? (byte)(1 + pools) : (byte)0;
            count = Emit(sets, i, k, m, count);
        }
        sets.RecordCount = count;
        sets.ScheduledCount = scheduled;
        return sets;
    }

    /// <summary>Combines repeated keys of transaction <paramref name="tx"/> (strongest mode, held by the first position) and appends its records.</summary>
    private static int Emit(AccessSets sets, int tx, Span<ulong> k, Span<AccessMode> m, int count)
    {
        int baseId = tx * AccessSets.Stride;
        var alias = sets.Alias;
        for (int p = 0; p < AccessSets.Stride; p++)
        {
            if (m[p] == AccessMode.None) { alias[baseId + p] = AccessSets.Absent; continue; }
            alias[baseId + p] = (byte)p;
            for (int q = 0; q < p; q++)
            {
                if (m[q] != AccessMode.None && k[q] == k[p])
                {
                    m[q] = AccessModes.Combine(m[q], m[p]);
                    m[p] = AccessMode.None;
                    alias[baseId + p] = (byte)q;
                    break;
                }
            }
        }
        for (int p = 0; p < AccessSets.Stride; p++)
        {
            if (m[p] == AccessMode.None) continue;
            sets.Keys[count] = k[p];
            sets.Records[count] = new AccessRecord(baseId + p, m[p]);
            count++;
        }
        return count;
    }

    /// <summary>The pools a block names, by ordinal in order of first mention, read from the pre-state once each.</summary>
    private sealed class PoolTable(IStateReader state)
    {
        private readonly Dictionary<uint, int> _ordinals = [];
        private readonly List<Pool> _pools = [];
        private readonly List<bool> _exists = [];

        public Pool this[int ordinal] => _pools[ordinal];

        public bool Exists(int ordinal) => _exists[ordinal];

        public int Ordinal(uint id)
        {
            ref int ordinal = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_ordinals, id, out bool seen);
            if (seen) return ordinal;
            ordinal = _pools.Count;
            bool exists = state.TryGetPool(id, out var pool);
            _pools.Add(exists ? pool : new Pool { Id = id });
            _exists.Add(exists);
            return ordinal;
        }

        public (Pool[] Pools, bool[] Exists) ToArrays() => (_pools.ToArray(), _exists.ToArray());
    }

    private sealed class Interner(IStateReader state, int txCount)
    {
        private readonly Dictionary<Address, int> _ids = new(Math.Min(2 * txCount + 1, 1 << 22));
        public Account?[] Accounts = new Account?[Math.Max(16, Math.Min(2 * txCount + 1, 1 << 22))];
        public Address[] Addresses = new Address[Math.Max(16, Math.Min(2 * txCount + 1, 1 << 22))];
        public int Count;

        public int Intern(Address address)
        {
            ref int id = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_ids, address, out bool exists);
            if (exists) return id;
            if (Count > StateKey.MaxAccountId) throw new InvalidOperationException("a block names more than 2^30 accounts");
            id = Count++;
            if (id == Accounts.Length)
            {
                Array.Resize(ref Accounts, Accounts.Length * 2);
                Array.Resize(ref Addresses, Addresses.Length * 2);
            }
            Accounts[id] = state.TryGetAccount(address);
            Addresses[id] = address;
            return id;
        }
    }
}
