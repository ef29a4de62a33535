using GpuExec.Engine.Conflicts;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Engine.Execute;

/// <summary>
/// Every state value a block may touch, loaded into a dense array before execution: slot
/// <c>s</c> holds the value of <c>ConflictGraph.UniqueKeys[s]</c> (a balance or a nonce; a pool
/// key's slot is unused, its reserves live in <see cref="Pools"/>). A transaction's slots come straight
/// from the access sets and the graph (<see cref="SlotTxState"/>): a layout position's alias, then
/// that record's slot.
/// After execution <see cref="ToChangeSet"/> turns the changed values into the block's change set.
/// </summary>
internal sealed class SlotTable
{
    /// <summary>A slot credited at least this many times in a block gets per-lane credit accumulators in lanes mode.</summary>
    public const int HotCredits = 64;

    private SlotTable(AccessSets sets, ConflictGraph graph, ulong[] values, ulong[] original, PaddedPool[] pools)
    {
        Sets = sets;
        Graph = graph;
        Values = values;
        Original = original;
        Pools = pools;
    }

    public AccessSets Sets { get; }
    public ConflictGraph Graph { get; }
    public ulong[] Values { get; }
    public ulong[] Original { get; }
    /// <summary>The block's pools by ordinal (<see cref="AccessSets.Pools"/>: those that do not exist too, never written), each on cache lines of its own (swaps on two pools from two threads must not share a line); reserves are updated in place during execution.</summary>
    public PaddedPool[] Pools { get; }


    /// <summary>Per slot: its index among the hot credit targets (credited at least <see cref="HotCredits"/> times), or -1.</summary>
    public int[] HotIndex { get; private set; } = [];
    public int HotCount { get; private set; }
    /// <summary>
    /// Lanes mode: per lane, one pending credit per hot slot (<c>Deltas[lane * DeltaStride + hot]</c>).
    /// A credit to a hot slot adds to its own lane's entry without an atomic and without moving the
    /// slot's cache line between cores (the fee collector is credited by almost every transaction).
    /// The slot's value is <c>Values[s]</c> plus the sum of its entries; a transaction that reads the
    /// slot folds them first (all earlier credits are its predecessors and no later one has started),
    /// and <see cref="FoldDeltas"/> folds the rest after the block.
    /// </summary>
    public ulong[]? Deltas { get; private set; }
    public int DeltaStride { get; private set; }

    /// <summary>Finds the hot slots and allocates their per-lane credit accumulators (lanes mode, two lanes or more).</summary>
    public void PrepareLanes(int lanes)
    {
        if (lanes < 2) return;
        (HotIndex, HotCount) = FindHotCredits(Sets, Graph);
        if (HotCount == 0) return;
        DeltaStride = (HotCount + 7) / 8 * 8 + 8; // whole cache lines, one spare line between lanes
        Deltas = new ulong[lanes * DeltaStride];
    }

    /// <summary>Adds the pending credits of every lane of hot slot <paramref name="slot"/> into its value and clears them. The caller must own the slot (no credit of it may be running).</summary>
    public void Fold(int slot)
    {
        int h = HotIndex[slot];
        if (h < 0 || Deltas is not { } d) return;
        ulong sum = 0;
        for (int at = h; at < d.Length; at += DeltaStride)
        {
            sum = checked(sum + d[at]);
            d[at] = 0;
        }
        Values[slot] = checked(Values[slot] + sum);
    }

    /// <summary>Folds every hot slot's pending credits (after all lanes are done).</summary>
    public void FoldDeltas()
    {
        if (Deltas is null) return;
        for (int s = 0; s < HotIndex.Length; s++) Fold(s);
    }

    /// <summary>Writes the changed slots of <c>[from, to)</c> into copies of their accounts (made on first change).</summary>
    private void WriteAccounts(int from, int to, Account?[] copies)
    {
        var keys = Graph.UniqueKeys;
        var accounts = Sets.Accounts;
        for (int s = from; s < to; s++)
        {
            ulong v = Values[s];
            if (v == Original[s]) continue;
            ulong key = keys[s];
            var kind = StateKey.Kind(key);
            if (kind == StateKeyKind.Pool) continue;
            int id = StateKey.AccountId(key);
            var account = copies[id] ??= accounts[id]?.Clone() ?? new Account(Sets.Addresses[id]);
            if (kind == StateKeyKind.Balance) account.SetBalance(StateKey.Low(key), v);
            else account.Nonce = v;
        }
    }

    /// <summary>The first index in <c>[from, to)</c> of the ascending <paramref name="keys"/> whose key is at least <paramref name="key"/>.</summary>
    private static int FirstAtLeast(ulong[] keys, ulong key, int from, int to)
    {
        int lo = from, hi = to;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (keys[mid] < key) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// The slot that transaction <paramref name="tx"/>'s layout position <paramref name="position"/>
    /// reads and writes: its own record's, or the one of the earlier position holding the same key;
    /// -1 when the position names no key.
    /// </summary>
    public int SlotOf(int tx, int position)
    {
        byte holder = Sets.Alias[tx * AccessSets.Stride + position];
        return holder == AccessSets.Absent ? -1 : Graph.Slot(tx, holder).Slot;
    }

    /// <summary>Loads the slots from the state (read-only, on <paramref name="options"/>' threads).</summary>
    public static SlotTable Load(AccessSets sets, ConflictGraph graph, ParallelOptions options)
    {
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(graph);
        int u = graph.UniqueCount;
        var values = new ulong[u];
        var keys = graph.UniqueKeys;
        var accounts = sets.Accounts;
        Parallel.For(0, (u + 4095) / 4096, options, chunk =>
        {
            int end = Math.Min(u, (chunk + 1) * 4096);
            for (int s = chunk * 4096; s < end; s++)
            {
                ulong key = keys[s];
                // An account the state does not hold yet reads as nonce 0, no balances.
                values[s] = StateKey.Kind(key) switch
                {
                    StateKeyKind.Balance => accounts[StateKey.AccountId(key)]?.Balance(StateKey.Low(key)) ?? 0,
                    StateKeyKind.Nonce => accounts[StateKey.AccountId(key)]?.Nonce ?? 0,
                    _ => 0,
                };
            }
        });
        var original = (ulong[])values.Clone();
        var pools = new PaddedPool[sets.Pools.Length];
        for (int i = 0; i < pools.Length; i++) pools[i].Value = sets.Pools[i];

        return new SlotTable(sets, graph, values, original, pools);
    }

    /// <summary>
    /// Marks the slots credited at least about <see cref="HotCredits"/> times, from a sample of every
    /// 8th transaction (deterministic). The choice only affects speed: a hot slot's credits go to
    /// per-lane accumulators, a cold one's to <see cref="Interlocked"/> adds; both are exact.
    /// </summary>
    private static (int[] Index, int Count) FindHotCredits(AccessSets sets, ConflictGraph graph)
    {
        const int Step = 8;
        var index = new int[graph.UniqueCount];
        var alias = sets.Alias;
        var sorted = graph.SortedRecords;
        for (int tx = 0; tx < sets.TxCount; tx += Step)
        {
            if (!sets.Scheduled[tx]) continue;
            foreach (int k in (ReadOnlySpan<int>)[AccessSets.PosCollector, AccessSets.PosCredit])
            {
                // A credit holds its own key in Add mode (a key also debited by the transaction is a Write).
                if (alias[tx * AccessSets.Stride + k] != k) continue;
                var slot = graph.Slot(tx, k);
                if (sorted[slot.SortedPosition].Mode == GpuExec.Kernels.Conflicts.AccessMode.Add) index[slot.Slot]++;
            }
        }
        int hot = 0;
        for (int s = 0; s < index.Length; s++) index[s] = index[s] * Step >= HotCredits ? hot++ : -1;
        return (index, hot);
    }

    /// <summary>
    /// The block's change set from the slots: the changed balances and nonces are written into
    /// copies of their accounts (the state's objects are only read), on all threads, split by
    /// account id (keys sort by kind, then account, so each account is written by one thread);
    /// then every copy whose leaf differs from the state's, and every pool whose reserves moved,
    /// become the changes. An account the block names that the state lacks starts empty, and one
    /// that ends the block empty with no leaf before is no change, as in the sequential executor.
    /// </summary>
    public ChangeSet ToChangeSet(ParallelOptions? options = null)
    {
        var keys = Graph.UniqueKeys;
        int accountCount = Sets.AccountCount;
        var copies = new Account?[accountCount];
        int parts = Math.Max(1, Math.Min(options?.MaxDegreeOfParallelism ?? 1, Values.Length / 4096));
        if (parts == 1) WriteAccounts(0, Values.Length, copies);
        else
        {
            // Kind regions of the sorted keys: balances, nonces, pools.
            int count = Values.Length; // UniqueKeys may be longer (a device buffer)
            int balanceEnd = FirstAtLeast(keys, 1UL << 62, 0, count), nonceEnd = FirstAtLeast(keys, 2UL << 62, 0, count);
            Parallel.For(0, parts, options!, part =>
            {
                ulong lo = (ulong)((long)accountCount * part / parts), hi = (ulong)((long)accountCount * (part + 1) / parts);
                WriteAccounts(FirstAtLeast(keys, lo << 32, 0, balanceEnd), FirstAtLeast(keys, hi << 32, 0, balanceEnd), copies);
                WriteAccounts(FirstAtLeast(keys, (1UL << 62) | (lo << 32), balanceEnd, nonceEnd), FirstAtLeast(keys, (1UL << 62) | (hi << 32), balanceEnd, nonceEnd), copies);
            });
        }
        var changes = new AccountChange[accountCount];
        int n = 0;
        var accounts = Sets.Accounts;
        for (int id = 0; id < accountCount; id++)
        {
            if (copies[id] is not { } copy) continue;
            var before = accounts[id] is { IsEmpty: false } b ? b : null;
            var after = copy.IsEmpty ? null : copy;
            if (before is null ? after is null : after is not null && before.SameLeaf(after)) continue;
            changes[n++] = new AccountChange(copy.Address, before, after);
        }
        var pools = new List<PoolChange>();
        for (int i = 0; i < Pools.Length; i++)
        {
            var before = Sets.Pools[i];
            var after = Pools[i].Value;
            if (before.ReserveA != after.ReserveA || before.ReserveB != after.ReserveB) pools.Add(new PoolChange(before, after));
        }
        return ChangeSets.Create(changes, n, pools);
    }
}

/// <summary>A <see cref="Pool"/> alone on two cache lines (128 bytes, so the adjacent-line prefetcher does not pair it with a neighbour).</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
internal struct PaddedPool
{
    [System.Runtime.InteropServices.FieldOffset(0)]
    public Pool Value;
}
