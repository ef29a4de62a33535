using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Execution;

/// <summary>What executing a block produced: a status per transaction, the txids and the new root.</summary>
public sealed class BlockResult
{
    /// <summary>A result from the statuses, the 32-byte txids (in block order) and the new state root.</summary>
    public BlockResult(TxStatus[] statuses, byte[] txids, Hash32 stateRoot)
    {
        Statuses = statuses;
        TxIds = txids;
        StateRoot = stateRoot;
    }

    /// <summary>Receipt status of transaction i, in block order.</summary>
    public TxStatus[] Statuses { get; }
    /// <summary>32 bytes per transaction: <c>txid = SHA-256(record)</c>.</summary>
    public byte[] TxIds { get; }
    /// <summary>The state root after the block (SPEC section 6).</summary>
    public Hash32 StateRoot { get; }
    /// <summary>
    /// What the block changed in the state (accounts and pools, before and after); null for
    /// receipts read back from a store, which keeps the state, not each block's changes.
    /// </summary>
    public State.ChangeSet? Changes { get; init; }
    /// <summary>
    /// What each transaction moved, in block order (<see cref="TxEffect"/>: the fee charged, the
    /// payload's debit and credit, a swap's or route's amount out); identical for every executor.
    /// Null for receipts read back from a store, which keeps statuses, not effects.
    /// </summary>
    public TxEffect[]? Effects { get; init; }
    /// <summary>Number of transactions.</summary>
    public int Count => Statuses.Length;
    /// <summary>The 32-byte txid of transaction <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> TxId(int i) => TxIds.AsSpan(i * 32, 32);

    /// <summary>Writes receipts as JSON lines <c>{"index":0,"txid":"&lt;hex&gt;","status":"OK"}</c>.</summary>
    public void WriteReceipts(TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        Span<char> hex = stackalloc char[64];
        for (int i = 0; i < Statuses.Length; i++)
        {
            Convert.TryToHexStringLower(TxId(i), hex, out _);
            w.Write("{\"index\":");
            w.Write(i);
            w.Write(",\"txid\":\"");
            w.Write(hex);
            w.Write("\",\"status\":\"");
            w.Write(Statuses[i].Name());
            w.Write("\"}\n");
        }
    }
}
