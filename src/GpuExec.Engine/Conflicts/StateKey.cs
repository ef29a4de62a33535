using System.Runtime.CompilerServices;

namespace GpuExec.Engine.Conflicts;

/// <summary>The kind of state a key names (the top two bits of a <see cref="StateKey"/>).</summary>
internal enum StateKeyKind : byte
{
    Balance = 0,
    Nonce = 1,
    Pool = 2,
}

/// <summary>
/// An exact 64-bit state key (no hashing, so no collisions):
/// <code>
/// bits 63-62  kind (0 balance, 1 nonce, 2 pool; 3 is never a key)
/// bits 61-32  account id (dense, per block, interned on the host; 0 for pools)
/// bits 31-0   token id (balance), 0 (nonce), pool id (pool)
/// </code>
/// Sorting keys groups an account's balances together, then nonces, then pools.
/// </summary>
internal static class StateKey
{
    /// <summary>The largest account id a key can hold (2^30 - 1).</summary>
    public const int MaxAccountId = (1 << 30) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Balance(int accountId, uint token) => ((ulong)(uint)accountId << 32) | token;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Nonce(int accountId) => (1UL << 62) | ((ulong)(uint)accountId << 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Pool(uint poolId) => (2UL << 62) | poolId;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static StateKeyKind Kind(ulong key) => (StateKeyKind)(key >> 62);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AccountId(ulong key) => (int)((key >> 32) & MaxAccountId);

    /// <summary>The token of a balance key, the pool id of a pool key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Low(ulong key) => (uint)key;
}
