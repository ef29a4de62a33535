using GpuExec.Engine.Conflicts;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Engine.Execute;

/// <summary>
/// Every state value a block may touch, loaded into a dense array before execution: slot
/// <c>s</c> holds the value of <c>ConflictGraph.UniqueKeys[s]</c> (a balance or a nonce; a pool
/// key's slot is unused, its reserves live in <see cref="Pools"/>). <see cref="TxSlots"/> gives
/// each transaction's six layout positions their slot (-1 when absent), aliases resolved.
/// After execution <see cref="WriteBack"/> stores the changed values into the state.
/// </summary>
public sealed class SlotTable
{
    private SlotTable(AccessSets sets, ConflictGraph graph, ulong[] values, ulong[] original, Pool[] pools, int[] txSlots)
    {
        Sets = sets;
        Graph = graph;
        Values = values;
        Original = original;
        Pools = pools;
        TxSlots = txSlots;
    }

    public AccessSets Sets { get; }
    public ConflictGraph Graph { get; }
    public ulong[] Values { get; }
    public ulong[] Original { get; }
    /// <summary>The block's pools by ordinal; reserves are updated in place during execution.</summary>
    public Pool[] Pools { get; }
    public int[] TxSlots { get; }

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
                values[s] = StateKey.Kind(key) switch
                {
                    StateKeyKind.Balance => accounts[StateKey.AccountId(key)].Balance(StateKey.Low(key)),
                    StateKeyKind.Nonce => accounts[StateKey.AccountId(key)].Nonce,
                    _ => 0,
                };
            }
        });
        var original = (ulong[])values.Clone();
        var pools = (Pool[])sets.Pools.Clone();

        int ids = sets.TxCount * AccessSets.Stride;
        var txSlots = new int[ids];
        var alias = sets.Alias;
        var slotPos = graph.RecordSlotAndPosition;
        for (int r = 0; r < ids; r++)
        {
            int a = alias[r];
            txSlots[r] = a == AccessSets.Absent ? -1 : slotPos[2 * (r - r % AccessSets.Stride + a)];
        }
        return new SlotTable(sets, graph, values, original, pools, txSlots);
    }

    /// <summary>Writes changed balances, nonces and pool reserves back into <paramref name="state"/>. Single-threaded.</summary>
    public void WriteBack(WorldState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var keys = Graph.UniqueKeys;
        var accounts = Sets.Accounts;
        for (int s = 0; s < Values.Length; s++)
        {
            ulong v = Values[s];
            if (v == Original[s]) continue;
            ulong key = keys[s];
            var account = accounts[StateKey.AccountId(key)];
            if (StateKey.Kind(key) == StateKeyKind.Balance) account.SetBalance(StateKey.Low(key), v);
            else account.Nonce = v;
        }
        foreach (var p in Pools)
        {
            ref var target = ref state.PoolRef(p.Id);
            if (target.ReserveA == p.ReserveA && target.ReserveB == p.ReserveB) continue;
            target.ReserveA = p.ReserveA;
            target.ReserveB = p.ReserveB;
        }
    }
}
