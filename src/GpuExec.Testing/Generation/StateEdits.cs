using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Generation;

/// <summary>How tests and tools make states: genesis accounts while a state is built, and block-like edits of a live one.</summary>
public static class StateEdits
{
    /// <summary>The genesis account at <paramref name="address"/>, added empty when the state has none. Only while the state is built (not live).</summary>
    public static Account GenesisAccount(this WorldState state, Address address)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.IsLive) throw new InvalidOperationException("a live state changes only through blocks (use Edit)");
        if (state.TryGetAccount(address) is { } a) return a;
        a = new Account(address);
        state.AddAccount(a);
        return a;
    }

    /// <summary>
    /// Changes a live state as a block would, without one: <paramref name="edit"/> changes copies
    /// in a working set, and the state adopts the resulting change set at the next height. Returns
    /// the change set (its root is then <see cref="WorldState.StateRoot"/>).
    /// </summary>
    internal static ChangeSet Edit(this WorldState state, Action<WorkingSet> edit)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(edit);
        var set = new WorkingSet(state);
        edit(set);
        var changes = set.ToChangeSet();
        state.Apply(changes, state.Height + 1);
        return changes;
    }

    /// <summary>A fresh state with the same contents, whose root is computed from scratch (not carried over from <paramref name="state"/>).</summary>
    public static WorldState Rebuilt(this WorldState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var s = new WorldState(state.ChainId, state.Height, state.AccountCount);
        foreach (var a in state.Accounts) s.AddAccount(a.Clone());
        foreach (var p in state.Pools) s.SetPool(p);
        return s;
    }
}
