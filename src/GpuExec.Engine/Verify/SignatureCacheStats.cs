namespace GpuExec.Engine.Verify;

/// <summary>A <see cref="SignatureCache"/>'s counters at one instant.</summary>
/// <param name="Hits">Lookups that found a verdict.</param>
/// <param name="Misses">Lookups that found none.</param>
/// <param name="Evictions">Verdicts dropped to make room for newer ones.</param>
/// <param name="Count">Verdicts held.</param>
/// <param name="Bytes">Bytes held, as accounted (<see cref="SignatureCacheOptions.BytesPerEntry"/> each).</param>
public readonly record struct SignatureCacheStats(long Hits, long Misses, long Evictions, int Count, long Bytes);

/// <summary>What <see cref="SignatureCache.Lookup"/> found for one block.</summary>
/// <param name="Hits">Transactions whose verdict came from the cache.</param>
/// <param name="Misses">Indices (ascending) of the transactions still to verify.</param>
internal readonly record struct SignatureCacheLookup(int Hits, int[] Misses)
{
    /// <summary>How many transactions are still to verify.</summary>
    public int MissCount => Misses.Length;
}

/// <summary>What one <see cref="SignatureCacheVerifier.PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/> call did.</summary>
/// <param name="Records">Records given.</param>
/// <param name="Skipped">Records with no verdict to remember: malformed, or on another chain when a chain was given.</param>
/// <param name="AlreadyCached">Well-formed records whose verdict the cache already held (not verified again).</param>
/// <param name="Verified">Records verified now and added to the cache.</param>
/// <param name="BadSignatures">Of those verified or already cached, how many have a bad signature.</param>
public readonly record struct PreVerifyResult(int Records, int Skipped, int AlreadyCached, int Verified, int BadSignatures);

/// <summary>How a block's sigverify stage got its verdicts.</summary>
/// <param name="CacheHits">Transactions whose verdict the signature cache held (they were verified before the block, by txid).</param>
/// <param name="Verified">Transactions whose signature the stage verified.</param>
public readonly record struct VerifyStats(int CacheHits, int Verified);
