using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// The state root of SPEC section 6, kept up to date from each block's <see cref="ChangeSet"/>:
/// a commitment never reads the state itself, so it can live beside any store, and what it costs
/// per block depends on what the block changed, not on how large the state is.
/// </summary>
public interface IStateCommitment
{
    /// <summary>The root of the leaves the commitment holds now.</summary>
    Hash32 Root { get; }

    /// <summary>
    /// Takes the block's changes (each account's and pool's leaf after the block, or its removal)
    /// and returns the new root. The changes must have been made on the state this commitment
    /// describes: an account's <see cref="AccountChange.Before"/> is what the commitment holds.
    /// </summary>
    Hash32 Apply(ChangeSet changes);
}
