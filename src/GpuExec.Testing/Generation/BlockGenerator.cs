using System.Buffers.Binary;
using System.Security.Cryptography;
using GpuExec.Crypto;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Generation;

/// <summary>What <see cref="BlockGenerator"/> makes; every field is part of the seed's meaning.</summary>
public sealed record GeneratorOptions
{
    public int Accounts { get; init; } = 1000;
    public int TxsPerBlock { get; init; } = 1000;
    public int Pools { get; init; } = 4;
    public int Blocks { get; init; } = 1;
    /// <summary>Share of swaps among transactions, 0..1 (at most what the routes leave: 1 - <see cref="RouteRatio"/>).</summary>
    public double SwapRatio { get; init; } = 0.3;
    /// <summary>
    /// Share of routes (1-4 hops through the pools, mostly chained; every route failure among the
    /// invalid ones) among transactions, 0..1. At 0 the generator makes exactly the blocks it made
    /// before routes existed.
    /// </summary>
    public double RouteRatio { get; init; } = 0.1;
    /// <summary>Zipf exponent for senders, recipients and pools; 0 is uniform.</summary>
    public double Skew { get; init; }
    /// <summary>Share of transactions made invalid on purpose, 0..1, spread over every status.</summary>
    public double InvalidRatio { get; init; } = 0.05;
    public ulong Seed { get; init; } = 1;
    public uint ChainId { get; init; } = 1;
    /// <summary>
    /// True: the fee collector is account 0, the busiest sender under skew, so its sends wait for
    /// every earlier fee credit (an adversarial shape). False (default): a dedicated collector that
    /// only receives fees, as a block producer's address usually does.
    /// </summary>
    public bool CollectorSends { get; init; }
    /// <summary>Non-fee tokens 1..Tokens (token 0 is the fee token).</summary>
    public int Tokens { get; init; } = 3;
    /// <summary>
    /// 0 (default): every account has a key and sends. Otherwise the accounts 0..Signers-1 have keys
    /// and send; the others are holders without keys (only the fee token, only received into), whose
    /// addresses are spread evenly over the address space in index order, so that a genesis of any
    /// size is enumerated in address order without being held (<see cref="BlockGenerator.GenesisAccounts"/>).
    /// </summary>
    public int Signers { get; init; }

    /// <summary>The accounts with keys: <see cref="Signers"/>, or all when it is 0.</summary>
    public int KeyedAccounts => Signers == 0 ? Accounts : Signers;

    public void Validate()
    {
        if (Accounts < 2) throw new ArgumentOutOfRangeException(nameof(Accounts), Accounts, "at least 2 accounts");
        if (Signers == 0 && Accounts > 1 << 24) throw new ArgumentOutOfRangeException(nameof(Accounts), Accounts, "at most 16777216 accounts (more with Signers)");
        if (Signers is < 0 or > 1 << 24) throw new ArgumentOutOfRangeException(nameof(Signers), Signers, "must be in 0..16777216");
        if (Signers > Accounts) throw new ArgumentOutOfRangeException(nameof(Signers), Signers, $"at most the {Accounts} accounts");
        if (Signers == 1) throw new ArgumentOutOfRangeException(nameof(Signers), Signers, "0 (all) or at least 2");
        if (TxsPerBlock < 0) throw new ArgumentOutOfRangeException(nameof(TxsPerBlock), TxsPerBlock, "must be >= 0");
        if (Pools < 0) throw new ArgumentOutOfRangeException(nameof(Pools), Pools, "must be >= 0");
        if (Blocks < 1) throw new ArgumentOutOfRangeException(nameof(Blocks), Blocks, "at least 1 block");
        if (SwapRatio is < 0 or > 1 || double.IsNaN(SwapRatio)) throw new ArgumentOutOfRangeException(nameof(SwapRatio), SwapRatio, "must be in 0..1");
        if (RouteRatio is < 0 or > 1 || double.IsNaN(RouteRatio)) throw new ArgumentOutOfRangeException(nameof(RouteRatio), RouteRatio, "must be in 0..1");
        if (InvalidRatio is < 0 or > 1 || double.IsNaN(InvalidRatio)) throw new ArgumentOutOfRangeException(nameof(InvalidRatio), InvalidRatio, "must be in 0..1");
        if (Skew < 0 || double.IsNaN(Skew)) throw new ArgumentOutOfRangeException(nameof(Skew), Skew, "must be >= 0");
        if (Tokens is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(Tokens), Tokens, "must be in 1..1000");
    }
}

/// <summary>
/// Makes a genesis and chained blocks of really signed transactions. The generator keeps its own
/// copy of the state and applies what it makes through <see cref="TxRules"/>, so valid transactions
/// really are valid when their turn comes, and every invalid kind (each status of SPEC section 4)
/// is made on purpose. The same options give the same bytes.
/// <para>
/// Routes go through the pools the Zipf sampler favours, as swaps do: each hop draws pools until
/// one takes the token the previous hop paid out (falling back to the previous pool, backwards),
/// some hops go straight back through the previous pool, and some last hops close a cycle to the
/// first input token. Invalid routes name a pool that does not exist, break the chain, ask more
/// than the balance, pay in too little, ask too much out, or are malformed (hop counts out of
/// range or not matching the length, lengths off, a direction byte out of range).
/// </para>
/// </summary>
public sealed class BlockGenerator
{
    private readonly GeneratorOptions _o;
    private readonly byte[] _publicKeys;   // 32 per account
    private readonly byte[] _secretKeys;   // 64 per account
    private readonly Address[] _addresses;
    private readonly WorldState? _mirror;   // null with keyless holders: the caller keeps the state
    private readonly int _keyed;
    private readonly DeterministicRandom _rng;
    private readonly ZipfSampler _senders, _recipients;
    private readonly ZipfSampler? _pools;
    private readonly int _recipientStride;

    public const ulong InitialBalance = 1_000_000_000_000UL;
    public const ulong InitialReserve = 1_000_000_000_000_000UL;

    public BlockGenerator(GeneratorOptions options, IProgress<long>? keyProgress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _o = options;
        _rng = new DeterministicRandom(options.Seed);
        int n = options.KeyedAccounts;
        _keyed = n;
        _publicKeys = new byte[n * 32];
        _secretKeys = new byte[n * 64];
        _addresses = new Address[n];
        long done = 0;
        Parallel.For(0, (n + 255) / 256, chunk =>
        {
            Span<byte> seedInput = stackalloc byte[16];
            Span<byte> seed = stackalloc byte[32];
            int end = Math.Min(n, (chunk + 1) * 256);
            for (int i = chunk * 256; i < end; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(seedInput, options.Seed);
                BinaryPrimitives.WriteUInt64LittleEndian(seedInput[8..], (ulong)i);
                SHA256.HashData(seedInput, seed);
                Libsodium.Ed25519KeyPairFromSeed(seed, _publicKeys.AsSpan(i * 32, 32), _secretKeys.AsSpan(i * 64, 64));
                _addresses[i] = new Address(_publicKeys.AsSpan(i * 32, 32));
            }
            keyProgress?.Report(Interlocked.Add(ref done, end - chunk * 256));
        });
        FeeCollector = options.CollectorSends ? _addresses[0] : new Signer(options.Seed ^ 0xFEEC011EC7042UL).Address;
        _senders = new ZipfSampler(n, options.Skew);
        _recipients = options.Signers == 0 ? _senders : new ZipfSampler(options.Accounts, options.Skew);
        _recipientStride = FindStride(options.Accounts);
        _pools = options.Pools > 0 ? new ZipfSampler(options.Pools, options.Skew) : null;
        var pools = new Pool[options.Pools];
        for (int p = 0; p < options.Pools; p++)
        {
            (uint ta, uint tb) = PoolTokens(p, options.Tokens);
            pools[p] = new Pool { Id = (uint)p, TokenA = ta, TokenB = tb, ReserveA = InitialReserve, ReserveB = InitialReserve, FeeBps = (ushort)(5 + 25 * (p % 4)) };
        }
        GenesisPools = pools;
        if (options.Signers != 0) return;

        _mirror = new WorldState(options.ChainId, 0, n);
        for (int i = 0; i < n; i++) _mirror.AddAccount(GenesisAccount(i));
        foreach (var pool in pools) _mirror.SetPool(pool);
        _genesis = _mirror.Clone();
    }

    private readonly WorldState? _genesis;

    /// <summary>The genesis state (height 0); a copy the generator never changes. Only without keyless holders (<see cref="GeneratorOptions.Signers"/> 0).</summary>
    public WorldState Genesis => _genesis ?? throw NoMirror();

    /// <summary>The state after every block made so far (the generator's own copy: do not change it). Only without keyless holders.</summary>
    public WorldState Current => _mirror ?? throw NoMirror();

    private static InvalidOperationException NoMirror() =>
        new("a generator with keyless holders keeps no state: enumerate GenesisAccounts() into a store and make each block with NextBlock(parent)");

    /// <summary>The genesis as a new state in memory, whatever the mode (for sizes that fit in memory).</summary>
    public WorldState GenesisInMemory()
    {
        if (_genesis is not null) return _genesis.Clone();
        var s = new WorldState(_o.ChainId, 0, _o.Accounts);
        foreach (var a in GenesisAccounts()) s.AddAccount(a);
        foreach (var p in GenesisPools) s.SetPool(p);
        return s;
    }

    /// <summary>The pools of the genesis, in id order.</summary>
    public IReadOnlyList<Pool> GenesisPools { get; }

    /// <summary>Account <paramref name="i"/>'s address: a signer's public key, or a holder's spread address.</summary>
    public Address AccountAddress(int i) => i < _keyed ? _addresses[i] : HolderAddress(i - _keyed);

    /// <summary>
    /// Holder <paramref name="k"/>'s address: its first 8 bytes spread the holders evenly over the
    /// address space in index order (so they enumerate sorted, and land in RocksDB as random
    /// addresses would), the other 24 mixed from the seed and index (SplitMix64, not a cryptographic
    /// hash: a store's bulk build enumerates 10^8 holders, so each must cost nanoseconds).
    /// </summary>
    private Address HolderAddress(int k)
    {
        int holders = _o.Accounts - _keyed;
        Span<byte> a = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(a, (ulong)(((UInt128)(ulong)k << 64) / (ulong)holders));
        ulong state = _o.Seed ^ 0x401DE45UL ^ ((ulong)k * 0x9E3779B97F4A7C15UL);
        for (int j = 1; j < 4; j++) BinaryPrimitives.WriteUInt64LittleEndian(a[(8 * j)..], SplitMix(ref state));
        return new Address(a);

        static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private Account GenesisAccount(int i)
    {
        var a = new Account(AccountAddress(i));
        if (i < _keyed)
            for (uint t = 0; t <= (uint)_o.Tokens; t++) a.SetBalance(t, InitialBalance);
        else
            a.SetBalance(0, InitialBalance);
        return a;
    }

    /// <summary>
    /// Every genesis account in ascending address order, made as enumerated (a new enumeration each
    /// call): what a store of any size is created from. Signers hold every token, holders the fee token.
    /// </summary>
    public IEnumerable<Account> GenesisAccounts()
    {
        var signers = new int[_keyed];
        for (int i = 0; i < signers.Length; i++) signers[i] = i;
        Array.Sort(signers, (x, y) => _addresses[x].CompareTo(_addresses[y]));
        int holders = _o.Accounts - _keyed, si = 0;
        for (int k = 0; k < holders; k++)
        {
            var holder = HolderAddress(k);
            for (; si < signers.Length && _addresses[signers[si]].CompareTo(holder) < 0; si++) yield return GenesisAccount(signers[si]);
            yield return GenesisAccount(_keyed + k);
        }
        for (; si < signers.Length; si++) yield return GenesisAccount(signers[si]);
    }

    /// <summary>The fee collector of every generated block (see <see cref="GeneratorOptions.CollectorSends"/>).</summary>
    public Address FeeCollector { get; }

    private static (uint, uint) PoolTokens(int p, int tokens)
    {
        // All pairs of tokens 0..tokens, cycled: (0,1) (0,2) ... (1,2) ...
        int m = tokens + 1;
        int pairs = m * (m - 1) / 2;
        int k = p % pairs;
        for (int a = 0; a < m; a++)
            for (int b = a + 1; b < m; b++)
                if (k-- == 0) return ((uint)a, (uint)b);
        return (0, 1);
    }

    private static int FindStride(int n)
    {
        // A stride coprime to n maps recipient ranks to other accounts than sender ranks.
        int s = (int)(n * 0.618) | 1;
        while (s > 1 && Gcd(s, n) != 1) s += 2;
        return Math.Max(1, s % n);
        static int Gcd(int a, int b) { while (b != 0) (a, b) = (b, a % b); return a; }
    }

    private enum Fault { None, Malformed, WrongChain, BadSignature, BadNonce, InsufficientFee, InsufficientBalance, UnknownPool, ZeroOutput, Slippage, BadRoute }

    /// <summary>The faults a route is made with: every status of SPEC section 4 it can end in but OK.</summary>
    private static readonly Fault[] RouteFaults =
    [
        Fault.Malformed, Fault.WrongChain, Fault.BadSignature, Fault.BadNonce, Fault.InsufficientFee,
        Fault.InsufficientBalance, Fault.UnknownPool, Fault.BadRoute, Fault.ZeroOutput, Fault.Slippage,
    ];

    /// <summary>Makes the next block of the chain as <c>.gxb</c> bytes and applies it to <see cref="Current"/>.</summary>
    public byte[] NextBlock(IProgress<long>? progress = null)
    {
        var mirror = _mirror ?? throw NoMirror();
        var (bytes, changes) = Make(mirror, progress);
        mirror.Apply(changes, mirror.Height + 1);
        return bytes;
    }

    /// <summary>
    /// Makes the block that follows <paramref name="parent"/> (height and parent root from it) as
    /// <c>.gxb</c> bytes, reading the accounts it touches from it; the caller applies the block to
    /// its state before asking for the next. What a generator with keyless holders makes blocks with,
    /// on a store.
    /// </summary>
    public byte[] NextBlock(IStateReader parent, IProgress<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (parent.ChainId != _o.ChainId) throw new ArgumentException($"the parent state is of chain {parent.ChainId}, the generator's is {_o.ChainId}", nameof(parent));
        return Make(parent, progress).Bytes;
    }

    private (byte[] Bytes, ChangeSet Changes) Make(IStateReader parent, IProgress<long>? progress)
    {
        int count = _o.TxsPerBlock;
        var parentRoot = parent.StateRoot;
        var records = new byte[count][];
        var signIndex = new int[count];        // account index of the signer, -1: no signature to make
        var corrupt = new bool[count];
        var isRoute = new bool[count];
        var block = new WorkingSet(parent);
        var access = new WorkingSetTxState(block, block.Account(FeeCollector));
        for (int i = 0; i < count; i++)
        {
            var fault = _rng.Chance(_o.InvalidRatio) ? (Fault)(1 + _rng.Below(9)) : Fault.None;
            int s = _senders.Next(_rng);
            var sender = block.Account(_addresses[s]);
            // One draw decides the kind: routes take their share first, swaps theirs of the rest.
            bool route = false, swap = false;
            if (_pools is not null)
            {
                double u = _rng.NextDouble();
                route = u < _o.RouteRatio;
                swap = !route && u < _o.RouteRatio + _o.SwapRatio;
            }
            if (route && fault != Fault.None) fault = RouteFaults[_rng.Below(RouteFaults.Length)];
            if (!route && fault is Fault.UnknownPool or Fault.ZeroOutput or Fault.Slippage) swap = true;
            ulong nonce = sender.Nonce;
            ulong fee = 1 + _rng.Below(100UL);
            ulong bal0 = sender.Balance(0);
            if (fault == Fault.BadNonce) nonce += 1 + _rng.Below(3UL);
            if (fault == Fault.InsufficientFee) fee = bal0 + 1 + _rng.Below(1000UL);
            else if (fee > bal0) fee = bal0; // a poor sender pays what it has

            byte[] rec;
            if (route)
            {
                rec = MakeRoute(block, sender, _addresses[s], nonce, fee, bal0, fault);
            }
            else if (!swap)
            {
                int r = (int)(((long)_recipients.Next(_rng) * _recipientStride + 1) % _o.Accounts);
                uint token = (uint)_rng.Below((ulong)_o.Tokens + 1);
                ulong have = sender.Balance(token) - (token == 0 ? Math.Min(fee, bal0) : 0);
                ulong amount = have == 0 ? 0 : _rng.Below(have / 50 + 1);
                if (fault == Fault.InsufficientBalance) amount = have + 1 + _rng.Below(1000UL);
                rec = new byte[TransactionView.TransferSize];
                TransactionEncoder.WriteTransferBody(rec, _o.ChainId, _addresses[s], nonce, fee, AccountAddress(r), token, amount);
            }
            else
            {
                if (_pools is null) fault = Fault.UnknownPool;
                uint poolId;
                bool aToB = _rng.Chance(0.5);
                ulong amountIn, minOut;
                if (fault == Fault.UnknownPool)
                {
                    poolId = (uint)_o.Pools + (uint)_rng.Below(1000UL);
                    amountIn = _rng.Below(1000UL);
                    minOut = 0;
                }
                else
                {
                    poolId = (uint)_pools!.Next(_rng);
                    var pool = block.Pool(poolId);
                    uint tin = aToB ? pool.TokenA : pool.TokenB;
                    ulong rin = aToB ? pool.ReserveA : pool.ReserveB, rout = aToB ? pool.ReserveB : pool.ReserveA;
                    ulong have = sender.Balance(tin) - (tin == 0 ? Math.Min(fee, bal0) : 0);
                    amountIn = have == 0 ? 0 : 1 + _rng.Below(have / 50 + 1);
                    if (amountIn > have) amountIn = have;
                    if (fault == Fault.InsufficientBalance) amountIn = have + 1 + _rng.Below(1000UL);
                    if (fault == Fault.ZeroOutput) amountIn = _rng.Below(2UL);
                    ulong expected = SwapMath.AmountOut(amountIn, rin, rout, pool.FeeBps);
                    minOut = _rng.Chance(0.5) ? 0 : expected - expected / 20;
                    if (fault == Fault.Slippage) minOut = expected + 1 + _rng.Below(10UL);
                }
                rec = new byte[TransactionView.SwapSize];
                TransactionEncoder.WriteSwapBody(rec, _o.ChainId, _addresses[s], nonce, fee, poolId, aToB, amountIn, minOut);
            }
            if (fault == Fault.WrongChain) BinaryPrimitives.WriteUInt32LittleEndian(rec.AsSpan(2), _o.ChainId + 1 + (uint)_rng.Below(7UL));
            signIndex[i] = s;
            corrupt[i] = fault == Fault.BadSignature;
            isRoute[i] = route;
            if (fault == Fault.Malformed) rec = route ? MalformRoute(rec) : Malform(rec);
            records[i] = rec;

            // Keep the mirror exact: apply what the chain will apply.
            if (TxRules.Precheck(rec, _o.ChainId) == TxStatus.Ok && !corrupt[i])
            {
                access.Sender = sender;
                TxRules.Apply(ref access, rec);
            }
            if ((i & 4095) == 4095) progress?.Report(i + 1);
        }

        // Signatures cost the most and depend on nothing above: make them on all cores.
        Parallel.For(0, (count + 511) / 512, chunk =>
        {
            int end = Math.Min(count, (chunk + 1) * 512);
            for (int i = chunk * 512; i < end; i++)
            {
                var rec = records[i];
                if (rec.Length < TransactionView.SwapSize || rec[1] is not (1 or 2) && !isRoute[i]) continue; // malformed: keep the bytes
                int bodyLen = rec.Length - TransactionView.SignatureSize;
                Libsodium.Ed25519Sign(_secretKeys.AsSpan(signIndex[i] * 64, 64), rec.AsSpan(0, bodyLen), rec.AsSpan(bodyLen));
                if (corrupt[i]) rec[bodyLen + (i * 7 % 64)] ^= (byte)(1 << (i % 8));
            }
        });
        progress?.Report(count);
        return (BlockCodec.Encode(_o.ChainId, parent.Height + 1, FeeCollector, parentRoot, records), block.ToChangeSet());
    }

    /// <summary>A route of 1-4 hops from <paramref name="sender"/>, valid unless <paramref name="fault"/> says how it fails.</summary>
    private byte[] MakeRoute(WorkingSet block, Account sender, Address from, ulong nonce, ulong fee, ulong bal0, Fault fault)
    {
        int hops = 1 + _rng.Below(TransactionView.MaxHops);
        if (fault == Fault.BadRoute && hops == 1) hops = 2;
        int broken = fault == Fault.BadRoute ? 1 + _rng.Below(hops - 1) : -1;
        Span<uint> ids = stackalloc uint[TransactionView.MaxHops];
        Span<bool> dirs = stackalloc bool[TransactionView.MaxHops];
        Span<Pool> pools = stackalloc Pool[TransactionView.MaxHops]; // the route's pools as its hops leave them
        uint tin0 = 0, cur = 0;
        for (int h = 0; h < hops; h++)
        {
            Pool p;
            if (h == 0) p = block.Pool((uint)_pools!.Next(_rng));
            else if (_rng.Chance(0.15)) p = block.Pool(ids[h - 1]);                       // straight back through the last pool
            else if (h == hops - 1 && cur != tin0 && _rng.Chance(0.3) && TryDraw(block, cur, tin0, out var closing)) p = closing; // a cycle
            else if (!TryDraw(block, cur, uint.MaxValue, out p)) p = block.Pool(ids[h - 1]);
            ids[h] = p.Id;
            dirs[h] = h == 0 ? _rng.Chance(0.5) : p.TokenA == cur;
            if (h == broken) dirs[h] = !dirs[h];                                          // takes the token it should not
            if (h == 0) tin0 = dirs[0] ? p.TokenA : p.TokenB;
            cur = dirs[h] ? p.TokenB : p.TokenA;
        }
        ulong have = sender.Balance(tin0) - (tin0 == 0 ? Math.Min(fee, bal0) : 0);
        ulong amountIn = have == 0 ? 0 : 1 + _rng.Below(have / 50 + 1);
        if (amountIn > have) amountIn = have;
        if (fault == Fault.InsufficientBalance) amountIn = have + 1 + _rng.Below(1000UL);
        if (fault == Fault.ZeroOutput) amountIn = _rng.Below(2UL);
        // The expected output, hop after hop on the reserves the earlier hops left.
        int distinct = 0;
        ulong amount = amountIn;
        for (int h = 0; h < hops && broken < 0; h++)
        {
            int j = 0;
            while (j < distinct && pools[j].Id != ids[h]) j++;
            if (j == distinct) pools[distinct++] = block.Pool(ids[h]);
            ref var p = ref pools[j];
            ulong rin = dirs[h] ? p.ReserveA : p.ReserveB, rout = dirs[h] ? p.ReserveB : p.ReserveA;
            ulong amountOut = SwapMath.AmountOut(amount, rin, rout, p.FeeBps);
            if (dirs[h]) { p.ReserveA = rin + amount; p.ReserveB = rout - amountOut; }
            else { p.ReserveB = rin + amount; p.ReserveA = rout - amountOut; }
            amount = amountOut;
        }
        ulong minOut = _rng.Chance(0.5) ? 0 : amount - amount / 20;
        if (fault == Fault.Slippage) minOut = amount + 1 + _rng.Below(10UL);
        if (fault == Fault.UnknownPool) ids[_rng.Below(hops)] = (uint)_o.Pools + (uint)_rng.Below(1000UL);
        var rec = new byte[TransactionView.RouteSize(hops)];
        TransactionEncoder.WriteRouteBody(rec, _o.ChainId, from, nonce, fee, ids[..hops], dirs[..hops], amountIn, minOut);
        return rec;
    }

    /// <summary>
    /// Draws pools as swaps do until one takes <paramref name="token"/> (and pays out
    /// <paramref name="other"/>, unless it is <see cref="uint.MaxValue"/>); false after a few tries.
    /// </summary>
    private bool TryDraw(WorkingSet block, uint token, uint other, out Pool pool)
    {
        for (int tries = 0; tries < 8; tries++)
        {
            pool = block.Pool((uint)_pools!.Next(_rng));
            bool takes = pool.TokenA == token || pool.TokenB == token;
            if (takes && (other == uint.MaxValue || pool.TokenA == other || pool.TokenB == other)) return true;
        }
        pool = default;
        return false;
    }

    private byte[] MalformRoute(byte[] rec)
    {
        int hops = rec[54];
        switch (_rng.Below(5))
        {
            case 0: rec[54] = 0; return rec;                                                    // no hop
            case 1: rec[54] = (byte)(TransactionView.MaxHops + 1 + _rng.Below(251)); return rec; // too many hops
            case 2: rec[54] = (byte)(hops == 1 ? 2 : hops - 1); return rec;                        // a hop count the length does not match
            case 3:                                                                               // a length off by 1-5 bytes
            {
                int delta = 1 + _rng.Below(5);
                if (_rng.Chance(0.5)) return rec[..^delta];
                var r = new byte[rec.Length + delta];
                rec.CopyTo(r, 0);
                return r;
            }
            default: rec[59 + TransactionView.HopSize * _rng.Below(hops)] = (byte)(2 + _rng.Below(254)); return rec; // a_to_b
        }
    }

    private byte[] Malform(byte[] rec)
    {
        switch (_rng.Below(5))
        {
            case 0: return rec[..^(1 + _rng.Below(rec.Length - 1))];          // truncated
            case 1: { var r = new byte[rec.Length + 1 + _rng.Below(9)]; rec.CopyTo(r, 0); return r; } // too long
            case 2: rec[0] = (byte)(2 + _rng.Below(250)); return rec;          // version
            case 3: rec[1] = (byte)(3 + _rng.Below(250)); return rec;          // kind
            default:
                if (rec[1] == 2) { rec[58] = (byte)(2 + _rng.Below(250)); return rec; } // a_to_b
                rec[1] = 2; return rec;                                          // a transfer's length with kind swap
        }
    }
}
