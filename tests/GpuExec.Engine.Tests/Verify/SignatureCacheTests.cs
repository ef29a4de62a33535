using System.Numerics;
using System.Security.Cryptography;
using GpuExec.Crypto;
using GpuExec.Engine.Verify;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests.Verify;

/// <summary>
/// The signature cache: a verdict is only ever reused for the very same bytes, the bounds evict the
/// oldest first, concurrent use returns libsodium's verdicts, and a block verified through the cache
/// gets the same verdicts (and the same state) as one verified cold.
/// </summary>
public class SignatureCacheTests
{
    private static readonly CpuSignatureVerifier OneThread = new(1);

    /// <summary>What libsodium says about a record's signature; null for a malformed record, which has none to cache.</summary>
    private static bool? LibsodiumVerdict(ReadOnlySpan<byte> record)
    {
        if (!new TransactionView(record).IsWellFormed) return null;
        return Libsodium.Ed25519Verify(
            record.Slice(TransactionView.SenderOffset, 32), record[..^TransactionView.SignatureSize], record[^TransactionView.SignatureSize..]);
    }

    private static byte[] TxId(byte[] record) => SHA256.HashData(record);

    /// <summary>Rules 1-2, as the pipeline's verify stage runs them before reading signatures.</summary>
    private static TxStatus[] Precheck(Block block, uint chainId)
    {
        var statuses = new TxStatus[block.Count];
        for (int i = 0; i < statuses.Length; i++) statuses[i] = TxRules.Precheck(block.Record(i), chainId);
        return statuses;
    }

    private static byte[] Key(int i)
    {
        var k = new byte[32];
        BitConverter.TryWriteBytes(k, i);
        BitConverter.TryWriteBytes(k.AsSpan(8), (ulong)i * 0x9E3779B97F4A7C15UL);
        return k;
    }

    /// <summary>Records that share all but a few bytes with a validly signed one, each with its own verdict.</summary>
    private static List<(string Name, byte[] Record)> NearCollisions()
    {
        var signer = new Signer(7);
        var to = new Signer(8).Address;
        var a = signer.Transfer(1, 5, 10, to, 0, 100);
        var b = signer.Transfer(1, 5, 10, to, 0, 101); // differs from a only in the amount's low byte (and the signature)
        var swap = signer.Swap(1, 5, 10, 0, true, 1000, 0);
        int body = a.Length - TransactionView.SignatureSize;

        byte[] With(byte[] src, Action<byte[]> change)
        {
            var r = (byte[])src.Clone();
            change(r);
            return r;
        }

        // Ed25519 signatures are malleable by adding the group order to S; libsodium refuses the non-canonical S.
        var l = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
        var s = new BigInteger(a.AsSpan(body + 32, 32), isUnsigned: true) + l;
        var malleable = With(a, r => s.TryWriteBytes(r.AsSpan(body + 32, 32), out _, isUnsigned: true));

        return
        [
            ("valid a", a),
            ("valid b, same prefix as a", b),
            ("valid swap", swap),
            ("a, last body byte flipped", With(a, r => r[body - 1] ^= 1)),
            ("a, fee byte flipped", With(a, r => r[46] ^= 0x80)),
            ("a, chain id changed", With(a, r => r[2] ^= 1)),
            ("a, last signature byte flipped", With(a, r => r[^1] ^= 1)),
            ("a, first signature byte flipped", With(a, r => r[body] ^= 1)),
            ("a's body with b's signature", With(a, r => b.AsSpan(body).CopyTo(r.AsSpan(body)))),
            ("b's body with a's signature", With(b, r => a.AsSpan(body).CopyTo(r.AsSpan(body)))),
            ("a with S + L", malleable),
            ("swap, a_to_b flipped", With(swap, r => r[58] = 0)),
            ("a, one byte short (malformed)", a[..^1]),
            ("a, version 2 (malformed)", With(a, r => r[0] = 2)),
        ];
    }

    [Fact]
    public void A_verdict_is_never_reused_for_different_bytes()
    {
        var cases = NearCollisions();
        Assert.Equal(cases.Count, cases.Select(c => Convert.ToHexString(TxId(c.Record))).Distinct().Count());
        Assert.True(LibsodiumVerdict(cases[0].Record));
        Assert.True(LibsodiumVerdict(cases[1].Record));
        Assert.False(LibsodiumVerdict(cases.Single(c => c.Name == "a with S + L").Record));

        // Every order: whatever was cached first, each record gets the verdict of its own bytes.
        var rng = new Random(3);
        var orders = new List<List<(string Name, byte[] Record)>> { cases, Enumerable.Reverse(cases).ToList() };
        for (int k = 0; k < 4; k++) orders.Add(cases.OrderBy(_ => rng.Next()).ToList());
        foreach (var order in orders)
        {
            var cache = new SignatureCache();
            var verifier = new SignatureCacheVerifier(cache, OneThread);
            foreach (var (name, record) in order)
            {
                var statuses = new TxStatus[1];
                var result = verifier.PreVerify([record], statuses);
                var expected = LibsodiumVerdict(record);
                Assert.True(expected switch { null => TxStatus.Malformed, true => TxStatus.Ok, false => TxStatus.BadSignature } == statuses[0], name);
                Assert.Equal(expected is null ? 0 : 1, result.Verified);
            }
            foreach (var (name, record) in cases)
            {
                var expected = LibsodiumVerdict(record);
                Assert.True(cache.TryGet(TxId(record), out bool valid) == expected.HasValue, name);
                Assert.True(valid == (expected ?? false), name);
            }
            Assert.Equal(cases.Count(c => LibsodiumVerdict(c.Record).HasValue), cache.Count);
        }
    }

    [Fact]
    public void A_block_of_near_collisions_gets_libsodiums_verdicts_whatever_was_pre_verified()
    {
        var cases = NearCollisions();
        var records = cases.Select(c => c.Record).ToArray();
        var block = BlockCodec.Decode(BlockCodec.Encode(1, 1, new Signer(9).Address, default, records));
        var statuses = Precheck(block, 1);
        var txids = new byte[32 * block.Count];
        CpuHasher.Instance.Sha256(block.Data, HashJobs.ForRecords(block), txids);

        // Pre-verify only the valid ones: the others in the block must still be verified, not matched by prefix.
        var cache = new SignatureCache();
        var verifier = new SignatureCacheVerifier(cache, OneThread);
        verifier.PreVerify(cases.Where(c => LibsodiumVerdict(c.Record) == true).Select(c => (ReadOnlyMemory<byte>)c.Record).ToList());

        var verdicts = new bool[block.Count];
        var lookup = verifier.VerifyBlock(block, txids, statuses, verdicts);
        Assert.Equal(3, lookup.Hits);
        Assert.Equal(statuses.Count(s => s == TxStatus.Ok) - 3, lookup.MissCount);
        for (int i = 0; i < block.Count; i++)
            if (statuses[i] == TxStatus.Ok)
                Assert.True(LibsodiumVerdict(records[i]) == verdicts[i], cases[i].Name);
    }

    [Fact]
    public void Pre_verification_caches_every_well_formed_record_and_skips_other_chains_only_when_told()
    {
        var signer = new Signer(1);
        var to = new Signer(2).Address;
        var mine = signer.Transfer(1, 0, 1, to, 0, 1);
        var other = signer.Transfer(2, 0, 1, to, 0, 1);
        var malformed = mine[..^1];
        ReadOnlyMemory<byte>[] records = [mine, other, malformed];

        var cache = new SignatureCache();
        var verifier = new SignatureCacheVerifier(cache, OneThread);
        var statuses = new TxStatus[3];
        var told = verifier.PreVerify(records, statuses, chainId: 1);
        Assert.Equal([TxStatus.Ok, TxStatus.WrongChain, TxStatus.Malformed], statuses);
        Assert.Equal(new PreVerifyResult(3, 2, 0, 1, 0), told);
        Assert.False(cache.TryGet(TxId(other), out _));

        var untold = verifier.PreVerify(records, statuses);
        Assert.Equal([TxStatus.Ok, TxStatus.Ok, TxStatus.Malformed], statuses);
        Assert.Equal(new PreVerifyResult(3, 1, 1, 1, 0), untold);
        Assert.True(cache.TryGet(TxId(other), out bool valid) && valid);
        Assert.False(cache.TryGet(TxId(malformed), out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void The_entry_bound_evicts_the_oldest_and_neither_a_hit_nor_a_re_add_makes_an_entry_younger()
    {
        var cache = new SignatureCache(new SignatureCacheOptions { MaxEntries = 8 });
        Assert.Equal(8, cache.Capacity);
        for (int i = 0; i < 8; i++) cache.Add(Key(i), i % 2 == 0);
        Assert.True(cache.TryGet(Key(0), out _));
        cache.Add(Key(1), true); // updates the verdict in place
        Assert.True(cache.TryGet(Key(1), out bool v1) && v1);
        Assert.Equal(0, cache.Evictions);

        cache.Add(Key(8), true);
        Assert.False(cache.TryGet(Key(0), out _));
        Assert.True(cache.TryGet(Key(1), out _));
        cache.Add(Key(9), false);
        Assert.False(cache.TryGet(Key(1), out _));
        for (int i = 10; i < 30; i++) cache.Add(Key(i), i % 3 == 0);

        for (int i = 0; i < 22; i++) Assert.False(cache.TryGet(Key(i), out _), $"key {i} should be evicted");
        for (int i = 22; i < 30; i++)
        {
            Assert.True(cache.TryGet(Key(i), out bool valid), $"key {i} should be held");
            Assert.Equal(i % 3 == 0, valid);
        }
        var stats = cache.GetStats();
        Assert.Equal(8, stats.Count);
        Assert.Equal(8L * SignatureCacheOptions.BytesPerEntry, stats.Bytes);
        Assert.Equal(22, stats.Evictions);
        Assert.Equal((11L, 24L), (stats.Hits, stats.Misses));
    }

    [Fact]
    public void The_byte_bound_evicts_the_oldest()
    {
        var cache = new SignatureCache(new SignatureCacheOptions { MaxEntries = 1000, MaxBytes = 5 * SignatureCacheOptions.BytesPerEntry + 47 });
        Assert.Equal(5, cache.Capacity);
        for (int i = 0; i < 12; i++)
        {
            cache.Add(Key(i), true);
            Assert.True(cache.Bytes <= cache.MaxBytes);
        }
        Assert.Equal(5 * SignatureCacheOptions.BytesPerEntry, cache.Bytes);
        Assert.Equal(7, cache.Evictions);
        for (int i = 0; i < 12; i++) Assert.Equal(i >= 7, cache.TryGet(Key(i), out _));
    }

    /// <summary>Long churn through a table that grows, wraps and deletes: the cache agrees with a plain queue and dictionary throughout.</summary>
    [Fact]
    public void Churn_agrees_with_a_reference_fifo()
    {
        const int capacity = 3000;
        var cache = new SignatureCache(new SignatureCacheOptions { MaxEntries = capacity });
        var order = new Queue<int>();
        var model = new Dictionary<int, bool>();
        var rng = new Random(17);
        for (int step = 0; step < 60_000; step++)
        {
            // Keys from a range a few times the capacity, so re-adds of held keys happen too.
            int k = rng.Next(4 * capacity);
            bool valid = rng.Next(2) == 0;
            cache.Add(Key(k), valid);
            if (!model.ContainsKey(k))
            {
                if (order.Count == capacity) model.Remove(order.Dequeue());
                order.Enqueue(k);
            }
            model[k] = valid;

            int probe = rng.Next(4 * capacity);
            Assert.Equal(model.TryGetValue(probe, out bool expected), cache.TryGet(Key(probe), out bool got));
            Assert.Equal(expected, got);
            if (step % 20_000 == 19_999)
                for (int q = 0; q < 4 * capacity; q++)
                    Assert.Equal(model.TryGetValue(q, out bool e) ? e : (bool?)null, cache.TryGet(Key(q), out bool g) ? g : null);
        }
        Assert.Equal(model.Count, cache.Count);
    }

    /// <summary>
    /// Many threads pre-verify, add and look up at once in a cache far smaller than the records in
    /// play, so verdicts are evicted and re-verified all the time: every verdict handed out is libsodium's.
    /// </summary>
    [Fact]
    public async Task Concurrent_use_under_eviction_returns_libsodiums_verdicts()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 50, TxsPerBlock = 400, Pools = 2, InvalidRatio = 0.3, Seed = 21 });
        var records = new List<byte[]>();
        for (int b = 0; b < 2; b++)
        {
            var block = BlockCodec.Decode(gen.NextBlock());
            for (int i = 0; i < block.Count; i++) records.Add(block.Record(i).ToArray());
        }
        var expected = records.Select(r => LibsodiumVerdict(r)).ToArray();
        Assert.Contains(false, expected);
        Assert.Contains(null, expected);
        var txids = records.Select(TxId).ToArray();
        var allTxids = txids.SelectMany(t => t).ToArray();
        var allStatuses = expected.Select(e => e is null ? TxStatus.Malformed : TxStatus.Ok).ToArray();
        var all = BlockCodec.Decode(BlockCodec.Encode(1, 1, gen.FeeCollector, default, records));

        var cache = new SignatureCache(new SignatureCacheOptions { MaxEntries = 150 });
        var verifier = new SignatureCacheVerifier(cache, OneThread);
        long lookups = 0;
        var ct = TestContext.Current.CancellationToken;
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            var rng = new Random(100 + w);
            long mine = 0;
            for (int round = 0; round < 40; round++)
            {
                ct.ThrowIfCancellationRequested();
                var pick = Enumerable.Range(0, 24).Select(_ => rng.Next(records.Count)).ToArray();
                var statuses = new TxStatus[pick.Length];
                verifier.PreVerify(pick.Select(i => (ReadOnlyMemory<byte>)records[i]).ToList(), statuses);
                for (int k = 0; k < pick.Length; k++)
                {
                    var e = expected[pick[k]];
                    Assert.Equal(e switch { null => TxStatus.Malformed, true => TxStatus.Ok, false => TxStatus.BadSignature }, statuses[k]);
                }
                for (int k = 0; k < 50; k++)
                {
                    int i = rng.Next(records.Count);
                    if (expected[i] is { } e && rng.Next(4) == 0) cache.Add(txids[i], e);
                    mine++;
                    if (cache.TryGet(txids[i], out bool valid))
                        Assert.Equal(expected[i], valid);
                }
                if (w == 0)
                {
                    // A block reader, beside the adders: its hits must be libsodium's verdicts.
                    var verdicts = new bool[records.Count];
                    var lookup = cache.Lookup(allTxids, allStatuses, verdicts);
                    mine += lookup.Hits + lookup.MissCount;
                    var missed = new HashSet<int>(lookup.Misses);
                    for (int i = 0; i < records.Count; i++)
                        if (expected[i] is { } e && !missed.Contains(i))
                            Assert.Equal(e, verdicts[i]);
                }
                if (w == 1 && round % 8 == 0)
                {
                    // The pipeline's verify stage through the cache, some blocks remembered.
                    var verdicts = new bool[records.Count];
                    var lookup = verifier.VerifyBlock(all, allTxids, allStatuses, verdicts, remember: round % 16 == 0);
                    mine += lookup.Hits + lookup.MissCount;
                    for (int i = 0; i < records.Count; i++)
                        if (expected[i] is { } e) Assert.Equal(e, verdicts[i]);
                }
                Assert.True(cache.Count <= cache.Capacity);
            }
            Interlocked.Add(ref lookups, mine);
        }, ct)).ToArray();
        await Task.WhenAll(workers);

        var stats = cache.GetStats();
        Assert.Equal(lookups, stats.Hits + stats.Misses);
        Assert.True(stats.Hits > 0 && stats.Misses > 0 && stats.Evictions > 0, stats.ToString());
        Assert.Equal(150, stats.Count);
        for (int i = 0; i < records.Count; i++)
            if (cache.TryGet(txids[i], out bool valid)) Assert.Equal(expected[i], valid);
    }

    /// <summary>
    /// Generated blocks with bad signatures, verified cold and through caches that knew none, some or
    /// all of their transactions (or were disabled): the same verdicts, statuses and state root.
    /// </summary>
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1 << 20, 0.0)]
    [InlineData(1 << 20, 0.5)]
    [InlineData(1 << 20, 1.0)]
    [InlineData(100, 1.0)]
    public void Cache_on_or_off_gives_identical_results(int maxEntries, double preVerified)
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 60, TxsPerBlock = 600, Pools = 3, Skew = 0.8, InvalidRatio = 0.2, Seed = 11 });
        var cold = gen.Genesis.Clone();
        var warm = gen.Genesis.Clone();
        var cache = new SignatureCache(new SignatureCacheOptions { MaxEntries = maxEntries });
        var verifier = new SignatureCacheVerifier(cache, new CpuSignatureVerifier(2));
        var rng = new Random(5);
        for (int b = 0; b < 3; b++)
        {
            var block = BlockCodec.Decode(gen.NextBlock());
            var expected = SequentialExecutor.Execute(cold, block);

            // The mempool saw some of the block's transactions, in another order, and others that never made it in.
            var seen = Enumerable.Range(0, block.Count).Where(_ => rng.NextDouble() < preVerified).OrderBy(_ => rng.Next())
                .Select(i => (ReadOnlyMemory<byte>)block.Record(i).ToArray()).ToList();
            seen.Add(new Signer(99).Transfer(1, (ulong)b, 1, new Signer(98).Address, 0, 1));
            verifier.PreVerify(seen);

            var statuses = Precheck(block, warm.ChainId);
            var txids = new byte[32 * block.Count];
            CpuHasher.Instance.Sha256(block.Data, HashJobs.ForRecords(block), txids);
            var coldVerdicts = new bool[block.Count];
            OneThread.Verify(block.Data, SignatureJobs.ForBlock(block, statuses), coldVerdicts);
            var coldStatuses = VerifyStage.Statuses(block, warm.ChainId, OneThread);
            var verdicts = new bool[block.Count];
            var lookup = verifier.VerifyBlock(block, txids, statuses, verdicts);

            int ok = statuses.Count(s => s == TxStatus.Ok);
            Assert.Equal(ok, lookup.Hits + lookup.MissCount);
            if (maxEntries == 0) Assert.Equal(0, lookup.Hits);
            if (maxEntries >= block.Count && preVerified == 1.0) Assert.Equal(ok, lookup.Hits);
            Assert.Contains(statuses.Select((s, i) => s == TxStatus.Ok && !coldVerdicts[i]), x => x);
            for (int i = 0; i < block.Count; i++)
                if (statuses[i] == TxStatus.Ok) Assert.Equal(coldVerdicts[i], verdicts[i]);

            for (int i = 0; i < block.Count; i++)
                if (statuses[i] == TxStatus.Ok && !verdicts[i]) statuses[i] = TxStatus.BadSignature;
            Assert.Equal(coldStatuses, statuses);
            var (changes, _) = SequentialExecutor.ApplyInOrder(warm, block, statuses);
            Assert.Equal(expected.Statuses, statuses);
            Assert.Equal(expected.StateRoot, warm.Apply(changes, block.Header.Height));
        }
    }

    [Fact]
    public void A_block_verified_with_remember_is_all_hits_the_second_time()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 30, TxsPerBlock = 300, InvalidRatio = 0.2, Seed = 4 });
        var block = BlockCodec.Decode(gen.NextBlock());
        var statuses = Precheck(block, gen.Genesis.ChainId);
        var txids = new byte[32 * block.Count];
        CpuHasher.Instance.Sha256(block.Data, HashJobs.ForRecords(block), txids);
        var verifier = new SignatureCacheVerifier(new SignatureCache(), OneThread);
        var first = new bool[block.Count];
        var second = new bool[block.Count];
        int ok = statuses.Count(s => s == TxStatus.Ok);

        Assert.Equal(ok, verifier.VerifyBlock(block, txids, statuses, first).MissCount);
        Assert.Equal(0, verifier.Cache.Count);
        Assert.Equal(ok, verifier.VerifyBlock(block, txids, statuses, first, remember: true).MissCount);
        var again = verifier.VerifyBlock(block, txids, statuses, second);
        Assert.Equal((ok, 0), (again.Hits, again.MissCount));
        Assert.Equal(first, second);
        var counted = verifier.Cache.ResetCounters();
        Assert.Equal((ok, 2L * ok), (counted.Hits, counted.Misses));
        Assert.Equal((0L, 0L), (verifier.Cache.Hits, verifier.Cache.Misses));
    }

    [Fact]
    public void Pre_verifying_a_block_gives_the_verify_stages_statuses_and_makes_its_lookup_all_hits()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 30, TxsPerBlock = 400, InvalidRatio = 0.3, Seed = 8 });
        var block = BlockCodec.Decode(gen.NextBlock());
        uint chain = gen.Genesis.ChainId;
        var verifier = new SignatureCacheVerifier(new SignatureCache(), OneThread);
        var statuses = new TxStatus[block.Count];
        var result = verifier.PreVerify(block, statuses, chain);
        Assert.Equal(VerifyStage.Statuses(block, chain, OneThread), statuses);
        Assert.Equal(block.Count, result.Records);
        Assert.Equal(statuses.Count(s => s is TxStatus.Malformed or TxStatus.WrongChain), result.Skipped);
        Assert.Equal(statuses.Count(s => s == TxStatus.BadSignature), result.BadSignatures);
        Assert.True(result.BadSignatures > 0);

        var again = verifier.PreVerify(block, chain);
        Assert.Equal((result.Verified, 0), (again.AlreadyCached, again.Verified));

        var pre = Precheck(block, chain);
        var txids = new byte[32 * block.Count];
        CpuHasher.Instance.Sha256(block.Data, HashJobs.ForRecords(block), txids);
        var lookup = verifier.VerifyBlock(block, txids, pre, new bool[block.Count]);
        Assert.Equal((result.Verified, 0), (lookup.Hits, lookup.MissCount));
    }

    [Fact]
    public void Empty_batches_do_nothing()
    {
        var cache = new SignatureCache();
        var verifier = new SignatureCacheVerifier(cache, OneThread);
        Assert.Equal(default, verifier.PreVerify(Array.Empty<ReadOnlyMemory<byte>>()));
        var lookup = cache.Lookup([], [], []);
        Assert.Equal((0, 0), (lookup.Hits, lookup.MissCount));
        Assert.Equal(default, cache.GetStats());
    }

    [Theory]
    [InlineData(-1, SignatureCacheOptions.DefaultMaxBytes, "MaxEntries")]
    [InlineData(SignatureCacheOptions.EntryLimit + 1, SignatureCacheOptions.DefaultMaxBytes, "MaxEntries")]
    [InlineData(int.MaxValue, SignatureCacheOptions.DefaultMaxBytes, "MaxEntries")]
    [InlineData(10, -1L, "MaxBytes")]
    [InlineData(10, 1L, "MaxBytes")]
    [InlineData(10, SignatureCacheOptions.BytesPerEntry - 1L, "MaxBytes")]
    public void Invalid_options_are_refused(int maxEntries, long maxBytes, string param)
    {
        var options = new SignatureCacheOptions { MaxEntries = maxEntries, MaxBytes = maxBytes };
        Assert.Equal(param, Assert.Throws<ArgumentOutOfRangeException>(options.Validate).ParamName);
        Assert.Equal(param, Assert.Throws<ArgumentOutOfRangeException>(() => new SignatureCache(options)).ParamName);
    }

    [Fact]
    public void Defaults_edges_and_a_disabled_cache()
    {
        var defaults = new SignatureCache();
        Assert.Equal(SignatureCacheOptions.DefaultMaxEntries, defaults.Capacity);
        Assert.Equal(SignatureCacheOptions.DefaultMaxBytes / SignatureCacheOptions.BytesPerEntry, defaults.Capacity);

        var small = new SignatureCache(new SignatureCacheOptions { MaxEntries = 3 });
        for (int i = 0; i < 5; i++) small.Add(Key(i), true);
        small.Clear();
        Assert.Equal((0, 0L, 2L), (small.Count, small.Bytes, small.Evictions));
        Assert.False(small.TryGet(Key(4), out _));
        for (int i = 10; i < 14; i++) small.Add(Key(i), false);
        Assert.False(small.TryGet(Key(10), out _));
        Assert.True(small.TryGet(Key(13), out bool v) && !v);
        Assert.Equal(3, small.Evictions);
        Assert.Equal(1, new SignatureCache(new SignatureCacheOptions { MaxBytes = SignatureCacheOptions.BytesPerEntry }).Capacity);

        foreach (var off in new[] { new SignatureCacheOptions { MaxEntries = 0 }, new SignatureCacheOptions { MaxBytes = 0 } })
        {
            var cache = new SignatureCache(off);
            Assert.False(cache.Enabled);
            cache.Add(Key(1), true);
            Assert.False(cache.TryGet(Key(1), out _));
            Assert.Equal((0, 0L, 1L), (cache.Count, cache.Bytes, cache.Misses));
        }
    }

    [Fact]
    public void Wrong_lengths_are_refused()
    {
        var cache = new SignatureCache();
        Assert.Throws<ArgumentException>(() => cache.TryGet(new byte[31], out _));
        Assert.Throws<ArgumentException>(() => cache.Add(new byte[33], true));
        Assert.Throws<ArgumentException>(() => cache.Lookup(new byte[64], new TxStatus[3], new bool[3]));
        Assert.Throws<ArgumentException>(() => cache.Lookup(new byte[96], new TxStatus[3], new bool[2]));
        var verifier = new SignatureCacheVerifier(cache, OneThread);
        Assert.Throws<ArgumentException>(() => verifier.PreVerify([new byte[162]], new TxStatus[2]));
    }
}
