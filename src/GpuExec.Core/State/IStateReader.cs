using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// A state as a block reads it: one height's accounts and pools, never changing while it is read.
/// The execute stage copies what a block touches from a reader into a working set and hands back
/// a <see cref="ChangeSet"/>; it never writes through a reader.
/// </summary>
public interface IStateReader
{
    /// <summary>The chain id blocks must carry.</summary>
    uint ChainId { get; }

    /// <summary>Height of the last block applied; the genesis height before any.</summary>
    ulong Height { get; }

    /// <summary>The state root (SPEC section 6) at <see cref="Height"/>.</summary>
    Hash32 StateRoot { get; }

    /// <summary>The account at <paramref name="address"/>, or null when the state has none. The object is not to be changed.</summary>
    Account? TryGetAccount(Address address);

    /// <summary>Pool <paramref name="id"/>, if it exists.</summary>
    bool TryGetPool(uint id, out Pool pool);
}
