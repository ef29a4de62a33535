using System.Runtime.InteropServices;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// A leaf of the state tree as the tree keeps it, 96 bytes:
/// <code>
/// 0   key[32]          H(0x01 || address) or H(0x02 || id)
/// 32  value_hash[32]   H(leaf data)
/// 64  leaf_hash[32]    H(0x00 || key || value_hash), the leaf's node hash
/// </code>
/// The first 64 bytes are the leaf hash's message (after its prefix byte), so an array of leaves
/// hashes in place.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct TreeLeaf
{
    /// <summary>The leaf's key.</summary>
    public TreeKey Key;
    /// <summary><c>H(leaf data)</c>.</summary>
    public Hash32 ValueHash;
    /// <summary><c>H(0x00 || key || value_hash)</c>.</summary>
    public Hash32 LeafHash;

    /// <summary>Size in bytes of a leaf as the tree keeps it.</summary>
    public const int Size = 96;
}

/// <summary>A change of one leaf: its new value hash, or its removal.</summary>
internal struct TreeUpdate
{
    public TreeKey Key;
    public Hash32 ValueHash;
    public bool Delete;
}
