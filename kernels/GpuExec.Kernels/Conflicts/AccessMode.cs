namespace GpuExec.Kernels.Conflicts;

/// <summary>
/// How a transaction may touch one state key (SPEC section 4, declared before execution).
/// Packed into the low 2 bits of a conflict record's value, so the numbers are fixed.
/// Two accesses to one key conflict unless both are <see cref="Read"/> or both <see cref="Add"/>.
/// </summary>
internal enum AccessMode : byte
{
    /// <summary>No access (a free position in a transaction's fixed access layout).</summary>
    None = 0,
    /// <summary>Reads the value only.</summary>
    Read = 1,
    /// <summary>Commutative credit: adds to the value and never reads it.</summary>
    Add = 2,
    /// <summary>Read-modify-write.</summary>
    Write = 3,
}

/// <summary>Mode arithmetic shared by the kernels and the host.</summary>
internal static class AccessModes
{
    /// <summary>The mode of a key touched twice by one transaction: equal modes stay, anything mixed is a <see cref="AccessMode.Write"/>.</summary>
    public static AccessMode Combine(AccessMode a, AccessMode b) =>
        a == AccessMode.None ? b : b == AccessMode.None ? a : a == b ? a : AccessMode.Write;

    /// <summary>True when two accesses to one key by different transactions must keep block order.</summary>
    public static bool Conflict(AccessMode a, AccessMode b) =>
        a != AccessMode.None && b != AccessMode.None && (a != b || a == AccessMode.Write);
}
