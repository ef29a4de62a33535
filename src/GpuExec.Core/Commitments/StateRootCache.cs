using System.Buffers.Binary;
using System.Security.Cryptography;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// Computes the state root of SPEC section 6 and remembers what it can: accounts stay in a list
/// sorted by address (new ones are sorted and merged in), each account keeps its leaf hash until
/// it changes. A root costs the leaf hashes of changed accounts plus the n-1 node hashes.
/// </summary>
internal sealed class StateRootCache
{
    private List<Account> _sorted = [];
    private readonly List<Account> _added = [];
    private byte[] _leaves = [];

    public void Added(Account account) => _added.Add(account);

    public Hash32 Compute(WorldState state)
    {
        if (_added.Count > 0)
        {
            _added.Sort(static (x, y) => x.Address.CompareTo(y.Address));
            var merged = new List<Account>(_sorted.Count + _added.Count);
            int i = 0, j = 0;
            while (i < _sorted.Count || j < _added.Count)
            {
                if (j == _added.Count || (i < _sorted.Count && _sorted[i].Address.CompareTo(_added[j].Address) < 0))
                    merged.Add(_sorted[i++]);
                else
                    merged.Add(_added[j++]);
            }
            _sorted = merged;
            _added.Clear();
        }

        var accounts = _sorted;
        Parallel.For(0, (accounts.Count + 4095) / 4096, chunk =>
        {
            int end = Math.Min(accounts.Count, (chunk + 1) * 4096);
            for (int i = chunk * 4096; i < end; i++)
            {
                var a = accounts[i];
                if (a.Dirty)
                {
                    a.HasLeaf = !a.IsEmpty;
                    if (a.HasLeaf) AccountLeafHash(a, a.LeafHash ??= new byte[Merkle.HashSize]);
                    a.Dirty = false;
                }
            }
        });

        var pools = state.Pools.OrderBy(p => p.Id).ToArray();
        int n = 0;
        foreach (var a in accounts) if (a.HasLeaf) n++;
        n += pools.Length;
        if (_leaves.Length < n * Merkle.HashSize) _leaves = new byte[Math.Max(n, 1) * Merkle.HashSize * 5 / 4];
        int k = 0;
        foreach (var a in accounts)
        {
            if (!a.HasLeaf) continue;
            a.LeafHash!.CopyTo(_leaves, k++ * Merkle.HashSize);
        }
        Span<byte> leaf = stackalloc byte[PoolLeafSize];
        foreach (var p in pools)
        {
            WritePoolLeaf(p, leaf);
            Merkle.LeafHash(leaf, _leaves.AsSpan(k++ * Merkle.HashSize, Merkle.HashSize));
        }
        Span<byte> root = stackalloc byte[32];
        Merkle.RootFromLeafHashes(_leaves, n, root);
        return new Hash32(root);
    }

    public const int PoolLeafSize = 1 + 4 + 4 + 4 + 8 + 8 + 2;

    /// <summary><c>0x02 || id:u32 big-endian || token_a || token_b || reserve_a || reserve_b || fee_bps</c>.</summary>
    public static void WritePoolLeaf(in Pool p, Span<byte> leaf)
    {
        leaf[0] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(leaf[1..], p.Id);
        BinaryPrimitives.WriteUInt32LittleEndian(leaf[5..], p.TokenA);
        BinaryPrimitives.WriteUInt32LittleEndian(leaf[9..], p.TokenB);
        BinaryPrimitives.WriteUInt64LittleEndian(leaf[13..], p.ReserveA);
        BinaryPrimitives.WriteUInt64LittleEndian(leaf[21..], p.ReserveB);
        BinaryPrimitives.WriteUInt16LittleEndian(leaf[29..], p.FeeBps);
    }

    /// <summary>Hash of <c>0x01 || address || nonce:u64 || n:u32 || n x (token:u32, balance:u64)</c>, zeros left out.</summary>
    public static void AccountLeafHash(Account a, Span<byte> hash)
    {
        int n = 0;
        for (int i = 0; i < a.EntryCount; i++) if (a.AmountAt(i) != 0) n++;
        int size = 1 + 1 + 32 + 8 + 4 + 12 * n;
        Span<byte> buf = size <= 1024 ? stackalloc byte[size] : new byte[size];
        buf[0] = 0; // RFC 6962 leaf prefix
        buf[1] = 1;
        a.Address.WriteTo(buf[2..]);
        BinaryPrimitives.WriteUInt64LittleEndian(buf[34..], a.Nonce);
        BinaryPrimitives.WriteUInt32LittleEndian(buf[42..], (uint)n);
        int pos = 46;
        for (int i = 0; i < a.EntryCount; i++)
        {
            if (a.AmountAt(i) == 0) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(buf[pos..], a.TokenAt(i));
            BinaryPrimitives.WriteUInt64LittleEndian(buf[(pos + 4)..], a.AmountAt(i));
            pos += 12;
        }
        SHA256.HashData(buf, hash);
    }
}
