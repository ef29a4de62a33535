namespace GpuExec.Engine.Verify;

/// <summary>
/// The bounds of a <see cref="SignatureCache"/>: at most <see cref="MaxEntries"/> verdicts and at
/// most <see cref="MaxBytes"/> bytes, whichever is reached first; past it the oldest verdicts go.
/// Either bound set to 0 disables the cache (it remembers nothing and every lookup misses).
/// </summary>
/// <remarks>
/// Memory is accounted at <see cref="BytesPerEntry"/> bytes a verdict, which is what the cache's
/// arrays cost per entry at most: 32 bytes of txid in the insertion-order ring, and an 8-byte slot
/// (a hash tag, the ring position and the verdict bit) in an open-addressing table kept between 2
/// and 4 slots per ring entry, so up to 32 bytes. The arrays grow by doubling as verdicts arrive and
/// never past <see cref="SignatureCache.Capacity"/> entries, so the cache never holds more than
/// <c>Capacity × BytesPerEntry ≤ MaxBytes</c> bytes of arrays (plus a few hundred bytes of object
/// headers and, while an array grows, the old copy until the collector takes it).
/// /// </remarks>
public sealed class SignatureCacheOptions
{
    /// <summary>The default <see cref="MaxEntries"/>: 1,048,576 verdicts.</summary>
    public const int DefaultMaxEntries = 1 << 20;

    /// <summary>The default <see cref="MaxBytes"/>: 64 MiB, which is <see cref="DefaultMaxEntries"/> entries' worth.</summary>
    public const long DefaultMaxBytes = 64L << 20;

    /// <summary>The most entries <see cref="MaxEntries"/> may ask for (2^28: 16 GiB of arrays).</summary>
    public const int EntryLimit = 1 << 28;

    /// <summary>Bytes accounted per cached verdict: 32 (the txid) + 32 (its share of the index table, at worst 4 slots of 8 bytes).</summary>
    public const int BytesPerEntry = 64;

    /// <summary>Most verdicts remembered; 0 disables the cache. Default <see cref="DefaultMaxEntries"/>.</summary>
    public int MaxEntries { get; set; } = DefaultMaxEntries;

    /// <summary>
    /// Most bytes the cache may hold, at <see cref="BytesPerEntry"/> a verdict; 0 disables the
    /// cache. A positive value below <see cref="BytesPerEntry"/> would hold nothing and is refused.
    /// Default <see cref="DefaultMaxBytes"/>.
    /// </summary>
    public long MaxBytes { get; set; } = DefaultMaxBytes;

    /// <summary>Whether these bounds leave room for any verdict.</summary>
    public bool Enabled => MaxEntries > 0 && MaxBytes > 0;

    /// <summary>The entry count both bounds allow: the smaller of <see cref="MaxEntries"/> and <see cref="MaxBytes"/> / <see cref="BytesPerEntry"/>.</summary>
    public int Capacity => Enabled ? (int)Math.Min(MaxEntries, MaxBytes / BytesPerEntry) : 0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a negative bound, too many entries, or a byte bound that holds no entry.</summary>
    public void Validate()
    {
        if (MaxEntries < 0 || MaxEntries > EntryLimit)
            throw new ArgumentOutOfRangeException(nameof(MaxEntries), MaxEntries, $"0 (disabled) to {EntryLimit}");
        if (MaxBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "0 (disabled) or positive");
        if (MaxBytes > 0 && MaxBytes < BytesPerEntry)
            throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, $"holds no entry ({BytesPerEntry} bytes each); 0 disables the cache");
    }
}
