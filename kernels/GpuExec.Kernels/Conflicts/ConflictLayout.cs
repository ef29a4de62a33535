using System.Runtime.InteropServices;

namespace GpuExec.Kernels.Conflicts;

/// <summary>
/// The fixed access layout of a transaction: <see cref="Stride"/> positions, each naming at most
/// one state key. A record id is <c>Stride * tx + position</c>. The one definition the host and the
/// kernels share.
/// <code>
/// position  key                                                              mode
///        0  sender nonce                                                     Write
///        1  sender balance of token 0 (the fee)                              Write
///        2  fee collector balance of token 0                                 Add
///        3  sender balance of the transfer token / swap's or route's input   Write
///        4  recipient balance of the transfer token /                        Add
///           sender balance of the swap's or route's output
///        5  the swap's pool / the pool of the route's hop 0                  Write
///        6  the pool of the route's hop 1                                    Write
///        7  the pool of the route's hop 2                                    Write
///        8  the pool of the route's hop 3                                    Write
/// </code>
/// A transaction names 3 to 9 keys; a key it names twice (a pool two hops share, a route that
/// pays out the token it takes in, a fee-token debit) is held once, by its first position.
/// </summary>
internal static class AccessLayout
{
    public const int Stride = 9;
    public const int Nonce = 0, Fee = 1, Collector = 2, Debit = 3, Credit = 4, Pool = 5;
    /// <summary>Pool positions: <see cref="Pool"/> to <c>Pool + Pools - 1</c>, one per hop of a route (SPEC: 1..4 hops).</summary>
    public const int Pools = 4;
}

/// <summary>
/// One access record's value, 4 bytes, beside its 64-bit state key in the sort:
/// <code>
/// bits 31-2  record id (AccessLayout.Stride * tx + position): below 2^29, so a block's records
///            cover at most 59,652,323 transactions (blocks hold at most 2^24)
/// bits  1-0  AccessMode (1 Read, 2 Add, 3 Write)
/// </code>
/// A stable sort by key keeps each key's records in block order, since record ids grow with it.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct AccessRecord : IEquatable<AccessRecord>
{
    /// <summary>The largest record id the value holds (2^29 - 1: the id shifted left by 2 stays a non-negative int).</summary>
    public const int MaxRecordId = int.MaxValue >> 2;

    /// <summary>The most transactions whose record ids the value holds.</summary>
    public const int MaxTransactions = (MaxRecordId + 1) / AccessLayout.Stride;

    private readonly int _value;

    public AccessRecord(int recordId, AccessMode mode) => _value = (recordId << 2) | (int)mode;

    public AccessRecord(int tx, int position, AccessMode mode) : this(tx * AccessLayout.Stride + position, mode) { }

    /// <summary><c>AccessLayout.Stride * tx + position</c>.</summary>
    public int RecordId => _value >> 2;
    public AccessMode Mode => (AccessMode)(_value & 3);
    public int Tx => RecordId / AccessLayout.Stride;
    public int Position => RecordId % AccessLayout.Stride;

    public bool Equals(AccessRecord other) => _value == other._value;
    public override bool Equals(object? obj) => obj is AccessRecord r && Equals(r);
    public override int GetHashCode() => _value;
    public static bool operator ==(AccessRecord a, AccessRecord b) => a._value == b._value;
    public static bool operator !=(AccessRecord a, AccessRecord b) => a._value != b._value;
    public override string ToString() => $"tx {Tx} position {Position} {Mode}";
}

/// <summary>
/// The predecessors of one sorted record, 8 bytes: the sorted positions <c>[Start, End)</c> of the
/// previous run of its key (a Write, or the Reads or Adds since the previous Write); empty at the
/// first run. All of them come earlier in the block.
/// <code>
/// bytes 0-3  Start (int)
/// bytes 4-7  End (int)
/// </code>
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct PredecessorRange(int start, int end) : IEquatable<PredecessorRange>
{
    public int Start { get; } = start;
    public int End { get; } = end;
    public bool IsEmpty => Start == End;

    public bool Equals(PredecessorRange other) => Start == other.Start && End == other.End;
    public override bool Equals(object? obj) => obj is PredecessorRange r && Equals(r);
    public override int GetHashCode() => Start * 31 + End;
    public static bool operator ==(PredecessorRange a, PredecessorRange b) => a.Equals(b);
    public static bool operator !=(PredecessorRange a, PredecessorRange b) => !a.Equals(b);
    public override string ToString() => $"[{Start}, {End})";
}

/// <summary>
/// Where one record id of the layout landed, 8 bytes: its slot (the number of its key among the
/// block's distinct keys, ascending) and its sorted position; both -1 for a position that names no
/// key of its own (absent, or holding a key an earlier position of the same transaction holds).
/// <code>
/// bytes 0-3  Slot (int)
/// bytes 4-7  SortedPosition (int)
/// </code>
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct RecordSlot(int slot, int sortedPosition) : IEquatable<RecordSlot>
{
    public static RecordSlot None => new(-1, -1);

    public int Slot { get; } = slot;
    public int SortedPosition { get; } = sortedPosition;
    public bool IsNamed => SortedPosition >= 0;

    public bool Equals(RecordSlot other) => Slot == other.Slot && SortedPosition == other.SortedPosition;
    public override bool Equals(object? obj) => obj is RecordSlot r && Equals(r);
    public override int GetHashCode() => Slot * 31 + SortedPosition;
    public static bool operator ==(RecordSlot a, RecordSlot b) => a.Equals(b);
    public static bool operator !=(RecordSlot a, RecordSlot b) => !a.Equals(b);
    public override string ToString() => IsNamed ? $"slot {Slot} at {SortedPosition}" : "none";
}
